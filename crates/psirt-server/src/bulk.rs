//! A ZIP archive (APPNOTE 6.3, deflate, no ZIP64) written in memory: OSV's
//! bulk download, `/advisories/osv/all.zip`, one `<id>.json` per entry.
//!
//! It writes only what OSV's consumers read: stored names in UTF-8, the
//! CRC-32, and the sizes in the local headers (no data descriptors), so
//! any ZIP reader opens it. Archives past ZIP's 32-bit limits (65,535
//! entries or 4 GiB) are refused rather than written wrong.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use jiff::Timestamp;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the archive is too large for a ZIP without ZIP64: {0}")]
pub struct TooLarge(&'static str);

/// Builds the archive of `(name, content)` files, each dated `at`.
pub fn zip(files: &[(String, Vec<u8>)], at: Timestamp) -> Result<Vec<u8>, TooLarge> {
    if files.len() > usize::from(u16::MAX) {
        return Err(TooLarge("more than 65,535 files"));
    }
    let (time, date) = dos_time(at);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(content)
            .expect("writing to a Vec cannot fail");
        let compressed = encoder.finish().expect("writing to a Vec cannot fail");
        let crc = crc32fast::hash(content);
        let size = u32::try_from(content.len()).map_err(|_| TooLarge("a file over 4 GiB"))?;
        let csize = u32::try_from(compressed.len()).map_err(|_| TooLarge("a file over 4 GiB"))?;
        let offset = u32::try_from(out.len()).map_err(|_| TooLarge("over 4 GiB"))?;
        let name_len = u16::try_from(name.len()).map_err(|_| TooLarge("a name over 64 KiB"))?;
        // Version 2.0, flag bit 11: the name is UTF-8; method 8: deflate.
        let common = |buf: &mut Vec<u8>| {
            put16(buf, 20);
            put16(buf, 0x0800);
            put16(buf, 8);
            put16(buf, time);
            put16(buf, date);
            put32(buf, crc);
            put32(buf, csize);
            put32(buf, size);
            put16(buf, name_len);
            put16(buf, 0);
        };
        put32(&mut out, 0x0403_4b50);
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&compressed);

        put32(&mut central, 0x0201_4b50);
        put16(&mut central, 20); // made by: version 2.0
        common(&mut central);
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).map_err(|_| TooLarge("over 4 GiB"))?;
    let cd_size = u32::try_from(central.len()).map_err(|_| TooLarge("over 4 GiB"))?;
    out.extend_from_slice(&central);
    let count = files.len() as u16;
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    Ok(out)
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// An instant as MS-DOS time and date (UTC, two-second resolution, from 1980).
fn dos_time(at: Timestamp) -> (u16, u16) {
    let dt = jiff::tz::TimeZone::UTC.to_datetime(at);
    let year = (dt.year() - 1980).clamp(0, 127) as u16;
    let date = (year << 9) | ((dt.month() as u16) << 5) | dt.day() as u16;
    let time = ((dt.hour() as u16) << 11) | ((dt.minute() as u16) << 5) | (dt.second() as u16 / 2);
    (time, date)
}
