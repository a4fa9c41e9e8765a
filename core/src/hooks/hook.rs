//! The 13 hook points of the core. The enum is the SDK's own [`module_sdk::Hook`], so the core
//! that emits a hook and the module that subscribes to it name it with one type.

pub use module_sdk::Hook;

/// Position of `hook` in [`Hook::ALL`], for tables indexed by hook.
pub fn hook_index(hook: Hook) -> usize {
    hook as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_position_in_all() {
        for (i, hook) in Hook::ALL.into_iter().enumerate() {
            assert_eq!(hook_index(hook), i);
        }
    }

    #[test]
    fn names_round_trip() {
        for hook in Hook::ALL {
            assert_eq!(hook.as_str().parse::<Hook>().ok(), Some(hook));
        }
        assert!("agent:exploded".parse::<Hook>().is_err());
    }
}
