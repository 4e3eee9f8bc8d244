//! Running one git command: a clean environment (no user or system
//! configuration, no prompts, only the allowed transports), a fixed
//! committer identity, configuration passed through the environment so
//! that no secret is on the command line, and a deadline.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::GitError;

/// The transports a fix repository may use: `ext::` and other remote
/// helpers that run commands are never among them.
const ALLOWED_PROTOCOLS: &str = "file:https:http:ssh:git";

pub(crate) struct Git<'a> {
    dir: &'a Path,
    worktree: bool,
    timeout: Duration,
    args: Vec<String>,
    config: Vec<(String, String)>,
    env: Vec<(&'static str, String)>,
}

impl<'a> Git<'a> {
    /// git on the bare repository `dir`.
    pub(crate) fn new(dir: &'a Path, timeout: Duration) -> Git<'a> {
        Git {
            dir,
            worktree: false,
            timeout,
            args: Vec::new(),
            config: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Runs in `dir` as a worktree rather than as the bare repository.
    pub(crate) fn worktree(mut self) -> Git<'a> {
        self.worktree = true;
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Git<'a>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// A configuration value, through `GIT_CONFIG_KEY_n`/`VALUE_n`.
    pub(crate) fn config(mut self, key: &str, value: &str) -> Git<'a> {
        self.config.push((key.into(), value.into()));
        self
    }

    pub(crate) fn env(mut self, key: &'static str, value: &str) -> Git<'a> {
        self.env.push((key, value.into()));
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.env_clear();
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        match self.worktree {
            true => cmd.current_dir(self.dir),
            false => cmd.arg("--git-dir").arg(self.dir),
        };
        cmd.env("HOME", self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "/bin/false")
            .env("SSH_ASKPASS", "/bin/false")
            .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
            .env("GIT_ALLOW_PROTOCOL", ALLOWED_PROTOCOLS)
            .env("GIT_AUTHOR_NAME", "psirt")
            .env("GIT_AUTHOR_EMAIL", "psirt@localhost")
            .env("GIT_COMMITTER_NAME", "psirt")
            .env("GIT_COMMITTER_EMAIL", "psirt@localhost")
            .env("LC_ALL", "C");
        let mut config = vec![
            ("core.hooksPath".to_string(), "/dev/null".to_string()),
            ("advice.detachedHead".to_string(), "false".to_string()),
            ("gc.auto".to_string(), "0".to_string()),
            ("core.abbrev".to_string(), "40".to_string()),
        ];
        config.extend(self.config.iter().cloned());
        cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
        for (i, (k, v)) in config.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), k);
            cmd.env(format!("GIT_CONFIG_VALUE_{i}"), v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs to completion: `Ok(stdout)` on exit status 0.
    pub(crate) fn run(self, name: &'static str) -> Result<String, GitError> {
        let (ok, out, err) = self.output(name)?;
        if !ok {
            return Err(GitError::Failed {
                command: name,
                reason: last_lines(&err),
            });
        }
        String::from_utf8(out).map_err(|_| GitError::Output(format!("{name}: not UTF-8")))
    }

    /// Runs to completion: whether it exited 0 (for git's yes/no commands).
    pub(crate) fn status(self, name: &'static str) -> Result<bool, GitError> {
        Ok(self.output(name)?.0)
    }

    fn output(self, name: &'static str) -> Result<(bool, Vec<u8>, String), GitError> {
        let mut child = self.command().spawn()?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let out = std::thread::spawn(move || {
            let mut buf = Vec::new();
            stdout.read_to_end(&mut buf).map(|_| buf)
        });
        let err = std::thread::spawn(move || {
            let mut buf = Vec::new();
            stderr.read_to_end(&mut buf).map(|_| buf)
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError::Timeout {
                    command: name,
                    seconds: self.timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let out = out.join().expect("reader")?;
        let err = err.join().expect("reader")?;
        Ok((
            status.success(),
            out,
            String::from_utf8_lossy(&err).into_owned(),
        ))
    }
}

/// git's own reason, short: its `fatal:` and `error:` lines, or else its
/// last lines of stderr.
fn last_lines(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .take(3)
        .collect();
    let tail = match errors.is_empty() {
        true => &lines[lines.len().saturating_sub(3)..],
        false => &errors[..],
    };
    match tail.is_empty() {
        true => "no reason given".into(),
        false => tail.join(" / "),
    }
}
