use crate::harness as _;
