//! The allocator of the `shareline` binary, and its one tuning.
//!
//! mimalloc replaces the system allocator: an evaluation allocates and frees
//! millions of small strings, and glibc's malloc spent a quarter of the
//! benchmark's CPU consolidating them (docs/benchmarks.md).
//!
//! This is the only crate of the workspace with unsafe code: one call that
//! sets an option of mimalloc's C library. Everything else forbids it.

pub use mimalloc::MiMalloc;

/// How long freed memory stays with the process before mimalloc gives it
/// back to the OS, in milliseconds (mimalloc's default: 1,000).
///
/// An evaluation frees a tenant's results and allocates the next tenant's a
/// fraction of a second later. Given back after a second, that memory came
/// back as fresh pages the kernel had to zero again: about a tenth of the
/// evaluation benchmark's CPU went to page faults. Ten seconds keeps it
/// across a run and still returns it once the process is idle.
pub const PURGE_DELAY_MS: i64 = 10_000;

/// `mi_option_purge_delay` in `mimalloc.h` (v2 and v3 alike); the Rust
/// bindings do not name it. A test reads mimalloc's default through it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Applies the tuning. Call once, first thing in `main`, before threads
/// start allocating.
pub fn tune() {
    let value = std::ffi::c_long::try_from(PURGE_DELAY_MS).unwrap_or(std::ffi::c_long::MAX);
    #[allow(
        unsafe_code,
        reason = "mimalloc's options are only reachable through its C API"
    )]
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table;
    // it takes no pointers, and any value is valid for this option.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, value);
    }
}

/// The purge delay mimalloc is using now, in milliseconds.
#[cfg(test)]
fn purge_delay_ms() -> i64 {
    #[allow(
        unsafe_code,
        reason = "mimalloc's options are only reachable through its C API"
    )]
    // SAFETY: `mi_option_get` reads an integer from mimalloc's option table.
    let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    #[allow(
        clippy::useless_conversion,
        reason = "`c_long` is 32 bits on some targets"
    )]
    i64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuning_sets_the_purge_delay() {
        // mimalloc's (v3) default: the option index is the right one.
        assert_eq!(purge_delay_ms(), 1_000);
        tune();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
