//! Real mail parts for tests, shared by this crate's tests and by the tests
//! of the crates that send and receive mail: a private SMTP server
//! (Python's aiosmtpd), a private IMAP server (Debian's Dovecot) and GnuPG
//! in a fresh home directory. Compiled only with the `testing` feature;
//! nothing here is used by psirt itself.

pub mod dovecot;
pub mod gpg;
pub mod smtp_sink;
