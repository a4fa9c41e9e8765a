//! How far a module's hook delivery got in the outbox: a low-water mark (every event up to it
//! handled) and the handled events above it, as ranges.
//!
//! Events are usually handled in `seq` order, and the mark just moves. It stops below an event
//! not handled yet — still queued, retried elsewhere, or not visible yet (on PostgreSQL a lower
//! `seq` can commit after a higher one) — and the handled events above wait in ranges until the
//! hole is filled, or found to be no event at all ([`DeliveryCursor::skip_through`]).

use std::collections::BTreeMap;
use std::time::Instant;

/// The position of one module's delivery (see the module doc).
#[derive(Debug, Clone)]
pub struct DeliveryCursor {
    low_water: i64,
    /// Handled events above `low_water + 1`, as ranges `start → end` (inclusive, disjoint, not
    /// adjacent).
    above: BTreeMap<i64, i64>,
    /// Since when the mark has been stuck below handled events.
    gap_since: Option<Instant>,
}

impl DeliveryCursor {
    /// A cursor at `low_water`: every event up to it counts as handled.
    pub fn new(low_water: i64) -> DeliveryCursor {
        DeliveryCursor {
            low_water,
            above: BTreeMap::new(),
            gap_since: None,
        }
    }

    /// The low-water mark: every event up to it is handled.
    pub fn position(&self) -> i64 {
        self.low_water
    }

    /// Whether the event `seq` is handled.
    pub fn is_handled(&self, seq: i64) -> bool {
        seq <= self.low_water
            || self
                .above
                .range(..=seq)
                .next_back()
                .is_some_and(|(_, end)| *end >= seq)
    }

    /// The first event after `seq` that is not handled.
    pub fn next_unhandled_after(&self, seq: i64) -> i64 {
        let mut next = seq.max(self.low_water) + 1;
        while let Some((_, end)) = self
            .above
            .range(..=next)
            .next_back()
            .filter(|(_, end)| **end >= next)
        {
            next = end + 1;
        }
        next
    }

    /// Marks the event `seq` handled.
    pub fn mark(&mut self, seq: i64, now: Instant) {
        self.mark_range(seq, seq, now);
    }

    /// Marks the events `first..=last` handled.
    pub fn mark_range(&mut self, first: i64, last: i64, now: Instant) {
        let first = first.max(self.low_water + 1);
        if last < first {
            return;
        }
        if first == self.low_water + 1 {
            self.low_water = last;
        } else {
            let mut start = first;
            let mut end = last;
            // Merge with a range that overlaps or touches it from below.
            if let Some((&prev_start, &prev_end)) = self.above.range(..=start).next_back() {
                if prev_end + 1 >= start {
                    start = prev_start;
                    end = end.max(prev_end);
                    self.above.remove(&prev_start);
                }
            }
            // And with every range that starts inside it or right after it.
            let absorbed: Vec<(i64, i64)> = self
                .above
                .range(start..=end.saturating_add(1))
                .map(|(s, e)| (*s, *e))
                .collect();
            for (s, e) in absorbed {
                end = end.max(e);
                self.above.remove(&s);
            }
            self.above.insert(start, end);
        }
        self.drain();
        match (self.above.is_empty(), self.gap_since) {
            (true, _) => self.gap_since = None,
            (false, None) => self.gap_since = Some(now),
            (false, Some(_)) => {}
        }
    }

    /// Treats every event up to `seq` as handled (events that turned out not to exist).
    pub fn skip_through(&mut self, seq: i64, now: Instant) {
        if seq > self.low_water {
            self.mark_range(self.low_water + 1, seq, now);
        }
    }

    /// The hole the mark is stuck at, if any: the first unhandled event, the first handled one
    /// above it, and since when the mark has been stuck.
    pub fn gap(&self) -> Option<(i64, i64, Instant)> {
        let (&first_above, _) = self.above.iter().next()?;
        Some((self.low_water + 1, first_above, self.gap_since?))
    }

    /// Moves every range that now touches the mark into it.
    fn drain(&mut self) {
        while let Some(entry) = self.above.first_entry() {
            if *entry.key() > self.low_water + 1 {
                break;
            }
            let end = entry.remove();
            self.low_water = self.low_water.max(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_events_move_the_mark() {
        let now = Instant::now();
        let mut cursor = DeliveryCursor::new(10);
        for seq in 11..=20 {
            cursor.mark(seq, now);
        }
        assert_eq!(cursor.position(), 20);
        assert!(cursor.gap().is_none());
        assert!(cursor.is_handled(5) && cursor.is_handled(20) && !cursor.is_handled(21));
    }

    #[test]
    fn a_hole_holds_the_mark_until_filled() {
        let now = Instant::now();
        let mut cursor = DeliveryCursor::new(0);
        cursor.mark(1, now);
        cursor.mark_range(3, 5, now);
        cursor.mark(8, now);
        cursor.mark(7, now);
        assert_eq!(cursor.position(), 1);
        assert_eq!(cursor.gap().map(|(a, b, _)| (a, b)), Some((2, 3)));
        assert!(cursor.is_handled(4) && !cursor.is_handled(6) && cursor.is_handled(7));
        assert_eq!(cursor.next_unhandled_after(2), 6);
        cursor.mark(2, now);
        assert_eq!(cursor.position(), 5);
        assert_eq!(cursor.gap().map(|(a, b, _)| (a, b)), Some((6, 7)));
        cursor.mark(6, now);
        assert_eq!(cursor.position(), 8);
        assert!(cursor.gap().is_none());
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merge() {
        let now = Instant::now();
        let mut cursor = DeliveryCursor::new(0);
        cursor.mark_range(10, 12, now);
        cursor.mark_range(14, 16, now);
        cursor.mark(13, now);
        cursor.mark_range(11, 20, now);
        assert_eq!(cursor.above.len(), 1);
        assert_eq!(cursor.above.get(&10), Some(&20));
        cursor.skip_through(9, now);
        assert_eq!(cursor.position(), 20);
        assert!(cursor.above.is_empty());
    }

    #[test]
    fn events_at_or_below_the_mark_change_nothing() {
        let now = Instant::now();
        let mut cursor = DeliveryCursor::new(50);
        cursor.mark(3, now);
        cursor.mark_range(40, 50, now);
        assert_eq!(cursor.position(), 50);
        assert!(cursor.gap().is_none());
    }
}
