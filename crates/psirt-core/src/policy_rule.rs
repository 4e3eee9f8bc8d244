//! The rules of the policy's later parts (announcement time, holidays,
//! the final notice to distributors), in the process's own words. They
//! reach callers as [`crate::Rule::Policy`].

use std::fmt;

use jiff::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRule {
    /// The embargo ends off the policy's announcement time without a reason.
    OffAnnouncementSlot {
        suggested: Option<Timestamp>,
    },
    /// A slow-down for holidays, but none falls before the release is due.
    NoHolidaysAhead,
    FinalNoticeNotInPolicy,
    FinalNoticeNeedsPreNotification,
    FinalNoticeAlreadySent,
}

impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyRule::OffAnnouncementSlot { suggested } => {
                write!(f, "the policy's announcement time (announce_at) suggests ")?;
                match suggested {
                    Some(t) => write!(f, "{}", t.strftime("%A %Y-%m-%d %H:%M UTC"))?,
                    None => write!(f, "no instant")?,
                }
                write!(
                    f,
                    "; another instant needs a recorded reason (off_slot_reason)"
                )
            }
            PolicyRule::NoHolidaysAhead => write!(
                f,
                "the project's calendar has no holiday before the release is due; slow down by an extension instead"
            ),
            PolicyRule::FinalNoticeNotInPolicy => write!(
                f,
                "this case's policy has no final notice to distributors (distributor_final_notice_before)"
            ),
            PolicyRule::FinalNoticeNeedsPreNotification => {
                write!(
                    f,
                    "the final notice follows the pre-notification, which was not sent"
                )
            }
            PolicyRule::FinalNoticeAlreadySent => {
                write!(f, "the final notice to distributors was already sent")
            }
        }
    }
}
