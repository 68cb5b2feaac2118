//! `Array.prototype.sort` as V8 runs it (TimSort, V8 7.0 and later): metadata-action sorts
//! the tag rules by `priority` with a comparator that answers 0 for non-numeric priorities,
//! which is not a consistent order, so only the same algorithm, comparison for comparison,
//! gives the same result. Runs are found and extended by binary insertion sort to the minimum
//! run length, merged under TimSort's run-stack invariants, with galloping (`minGallop`
//! starting at 7) in both merge directions.

use std::cmp::Ordering;

/// Where galloping starts, and its floor for staying in galloping mode.
const MIN_GALLOP: usize = 7;

/// Sorts `items` as `items.sort(compare)` does in V8: `compare` answers like a JavaScript
/// comparator (negative: `a` first). Any comparator gives a permutation; none panics.
pub fn sort<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut state = TimSort {
        work: (0..items.len()).collect(),
        less: |a: usize, b: usize| compare(&items[a], &items[b]) == Ordering::Less,
        runs: Vec::new(),
        min_gallop: MIN_GALLOP,
    };
    state.sort();
    let order = state.work;
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    *items = order
        .into_iter()
        .map(|index| slots[index].take().expect("each index once"))
        .collect();
}

/// A pending run: start and length in the work array.
#[derive(Clone, Copy)]
struct Run {
    base: usize,
    len: usize,
}

struct TimSort<L> {
    /// Indexes of the items, in their current order.
    work: Vec<usize>,
    /// `compare(a, b) < 0` on the items of two indexes.
    less: L,
    runs: Vec<Run>,
    min_gallop: usize,
}

impl<L: Fn(usize, usize) -> bool> TimSort<L> {
    fn less(&self, a: usize, b: usize) -> bool {
        (self.less)(a, b)
    }

    fn sort(&mut self) {
        let length = self.work.len();
        let min_run = min_run_length(length);
        let mut low = 0;
        let mut remaining = length;
        while remaining != 0 {
            let mut run = self.count_and_make_run(low, low + remaining);
            if run < min_run {
                let forced = min_run.min(remaining);
                self.binary_insertion_sort(low, low + run, low + forced);
                run = forced;
            }
            self.runs.push(Run {
                base: low,
                len: run,
            });
            self.merge_collapse();
            low += run;
            remaining -= run;
        }
        while self.runs.len() > 1 {
            let mut n = self.runs.len() - 2;
            if n > 0 && self.runs[n - 1].len < self.runs[n + 1].len {
                n -= 1;
            }
            self.merge_at(n);
        }
    }

    /// The length of the run starting at `low` (a strictly descending one is reversed).
    fn count_and_make_run(&mut self, low: usize, high: usize) -> usize {
        if low + 1 == high {
            return 1;
        }
        let descending = self.less(self.work[low + 1], self.work[low]);
        let mut run = 2;
        let mut previous = self.work[low + 1];
        for index in low + 2..high {
            let current = self.work[index];
            let is_less = self.less(current, previous);
            if is_less != descending {
                break;
            }
            previous = current;
            run += 1;
        }
        if descending {
            self.work[low..low + run].reverse();
        }
        run
    }

    /// Extends the sorted `low..start` to `low..high`.
    fn binary_insertion_sort(&mut self, low: usize, start: usize, high: usize) {
        let start = if low == start { start + 1 } else { start };
        for start in start..high {
            let pivot = self.work[start];
            let (mut left, mut right) = (low, start);
            while left < right {
                let middle = left + ((right - left) >> 1);
                if self.less(pivot, self.work[middle]) {
                    right = middle;
                } else {
                    left = middle + 1;
                }
            }
            self.work[left..=start].rotate_right(1);
        }
    }

    fn merge_collapse(&mut self) {
        while self.runs.len() > 1 {
            let mut n = self.runs.len() - 2;
            let len = |runs: &[Run], i: usize| runs[i].len;
            let established =
                |runs: &[Run], n: usize| n < 2 || runs[n - 2].len > runs[n - 1].len + runs[n].len;
            if !established(&self.runs, n + 1) || !established(&self.runs, n) {
                if len(&self.runs, n - 1) < len(&self.runs, n + 1) {
                    n -= 1;
                }
            } else if len(&self.runs, n) > len(&self.runs, n + 1) {
                break;
            }
            self.merge_at(n);
        }
    }

    fn merge_at(&mut self, i: usize) {
        let (a, b) = (self.runs[i], self.runs[i + 1]);
        self.runs[i].len = a.len + b.len;
        self.runs.remove(i + 1);
        let skip = self.gallop_right(Side::Work, self.work[b.base], a.base, a.len, 0);
        let (base_a, len_a) = (a.base + skip, a.len - skip);
        if len_a == 0 {
            return;
        }
        let key = self.work[base_a + len_a - 1];
        let len_b = self.gallop_left(Side::Work, key, b.base, b.len, b.len - 1);
        if len_b == 0 {
            return;
        }
        if len_a <= len_b {
            self.merge_low(base_a, len_a, b.base, len_b);
        } else {
            self.merge_high(base_a, len_a, b.base, len_b);
        }
    }

    /// Merges run A (copied out) into place, from the front.
    fn merge_low(&mut self, base_a: usize, mut len_a: usize, base_b: usize, mut len_b: usize) {
        let temp: Vec<usize> = self.work[base_a..base_a + len_a].to_vec();
        let (mut dest, mut cursor_temp, mut cursor_b) = (base_a, 0, base_b);
        self.work[dest] = self.work[cursor_b];
        dest += 1;
        cursor_b += 1;
        len_b -= 1;
        // The labels of V8's `Succeed` and `CopyB` exits.
        let copy_b = 'merge: {
            if len_b == 0 {
                break 'merge false;
            }
            if len_a == 1 {
                break 'merge true;
            }
            loop {
                let (mut wins_a, mut wins_b) = (0, 0);
                loop {
                    if self.less(self.work[cursor_b], temp[cursor_temp]) {
                        self.work[dest] = self.work[cursor_b];
                        (dest, cursor_b, wins_b, wins_a) = (dest + 1, cursor_b + 1, wins_b + 1, 0);
                        len_b -= 1;
                        if len_b == 0 {
                            break 'merge false;
                        }
                        if wins_b >= self.min_gallop {
                            break;
                        }
                    } else {
                        self.work[dest] = temp[cursor_temp];
                        (dest, cursor_temp, wins_a, wins_b) =
                            (dest + 1, cursor_temp + 1, wins_a + 1, 0);
                        len_a -= 1;
                        if len_a == 1 {
                            break 'merge true;
                        }
                        if wins_a >= self.min_gallop {
                            break;
                        }
                    }
                }
                // Galloping, while it wins often enough (V8's do-while).
                self.min_gallop += 1;
                loop {
                    self.min_gallop = self.min_gallop.saturating_sub(1).max(1);
                    wins_a = self.gallop_right(
                        Side::Temp(&temp),
                        self.work[cursor_b],
                        cursor_temp,
                        len_a,
                        0,
                    );
                    if wins_a > 0 {
                        self.work[dest..dest + wins_a]
                            .copy_from_slice(&temp[cursor_temp..cursor_temp + wins_a]);
                        (dest, cursor_temp) = (dest + wins_a, cursor_temp + wins_a);
                        len_a -= wins_a;
                        if len_a == 1 {
                            break 'merge true;
                        }
                        // Impossible for a consistent comparator; V8 checks it all the same.
                        if len_a == 0 {
                            break 'merge false;
                        }
                    }
                    self.work[dest] = self.work[cursor_b];
                    (dest, cursor_b) = (dest + 1, cursor_b + 1);
                    len_b -= 1;
                    if len_b == 0 {
                        break 'merge false;
                    }
                    wins_b = self.gallop_left(Side::Work, temp[cursor_temp], cursor_b, len_b, 0);
                    if wins_b > 0 {
                        self.work.copy_within(cursor_b..cursor_b + wins_b, dest);
                        (dest, cursor_b) = (dest + wins_b, cursor_b + wins_b);
                        len_b -= wins_b;
                        if len_b == 0 {
                            break 'merge false;
                        }
                    }
                    self.work[dest] = temp[cursor_temp];
                    (dest, cursor_temp) = (dest + 1, cursor_temp + 1);
                    len_a -= 1;
                    if len_a == 1 {
                        break 'merge true;
                    }
                    if wins_a < MIN_GALLOP && wins_b < MIN_GALLOP {
                        break;
                    }
                }
                // A penalty for leaving galloping mode.
                self.min_gallop += 1;
            }
        };
        if copy_b {
            // The last element of run A belongs at the end of the merge.
            self.work.copy_within(cursor_b..cursor_b + len_b, dest);
            self.work[dest + len_b] = temp[cursor_temp];
        } else if len_a > 0 {
            self.work[dest..dest + len_a].copy_from_slice(&temp[cursor_temp..cursor_temp + len_a]);
        }
    }

    /// Merges run B (copied out) into place, from the back.
    fn merge_high(&mut self, base_a: usize, mut len_a: usize, base_b: usize, mut len_b: usize) {
        let temp: Vec<usize> = self.work[base_b..base_b + len_b].to_vec();
        // Signed cursors: V8's may step one below the start of their ranges.
        let mut dest = (base_b + len_b - 1) as isize;
        let mut cursor_temp = len_b as isize - 1;
        let mut cursor_a = (base_a + len_a - 1) as isize;
        let at = |index: isize| index as usize;
        self.work[at(dest)] = self.work[at(cursor_a)];
        dest -= 1;
        cursor_a -= 1;
        len_a -= 1;
        let copy_a = 'merge: {
            if len_a == 0 {
                break 'merge false;
            }
            if len_b == 1 {
                break 'merge true;
            }
            loop {
                let (mut wins_a, mut wins_b) = (0, 0);
                loop {
                    if self.less(temp[at(cursor_temp)], self.work[at(cursor_a)]) {
                        self.work[at(dest)] = self.work[at(cursor_a)];
                        (dest, cursor_a, wins_a, wins_b) = (dest - 1, cursor_a - 1, wins_a + 1, 0);
                        len_a -= 1;
                        if len_a == 0 {
                            break 'merge false;
                        }
                        if wins_a >= self.min_gallop {
                            break;
                        }
                    } else {
                        self.work[at(dest)] = temp[at(cursor_temp)];
                        (dest, cursor_temp, wins_b, wins_a) =
                            (dest - 1, cursor_temp - 1, wins_b + 1, 0);
                        len_b -= 1;
                        if len_b == 1 {
                            break 'merge true;
                        }
                        if wins_b >= self.min_gallop {
                            break;
                        }
                    }
                }
                // Galloping, while it wins often enough (V8's do-while).
                self.min_gallop += 1;
                loop {
                    self.min_gallop = self.min_gallop.saturating_sub(1).max(1);
                    let k = self.gallop_right(
                        Side::Work,
                        temp[at(cursor_temp)],
                        base_a,
                        len_a,
                        len_a - 1,
                    );
                    wins_a = len_a - k;
                    if wins_a > 0 {
                        dest -= wins_a as isize;
                        cursor_a -= wins_a as isize;
                        let from = at(cursor_a + 1);
                        self.work.copy_within(from..from + wins_a, at(dest + 1));
                        len_a -= wins_a;
                        if len_a == 0 {
                            break 'merge false;
                        }
                    }
                    self.work[at(dest)] = temp[at(cursor_temp)];
                    (dest, cursor_temp) = (dest - 1, cursor_temp - 1);
                    len_b -= 1;
                    if len_b == 1 {
                        break 'merge true;
                    }
                    let k = self.gallop_left(
                        Side::Temp(&temp),
                        self.work[at(cursor_a)],
                        0,
                        len_b,
                        len_b - 1,
                    );
                    wins_b = len_b - k;
                    if wins_b > 0 {
                        dest -= wins_b as isize;
                        cursor_temp -= wins_b as isize;
                        let from = at(cursor_temp + 1);
                        let to = at(dest + 1);
                        self.work[to..to + wins_b].copy_from_slice(&temp[from..from + wins_b]);
                        len_b -= wins_b;
                        if len_b == 1 {
                            break 'merge true;
                        }
                        // Impossible for a consistent comparator; V8 checks it all the same.
                        if len_b == 0 {
                            break 'merge false;
                        }
                    }
                    self.work[at(dest)] = self.work[at(cursor_a)];
                    (dest, cursor_a) = (dest - 1, cursor_a - 1);
                    len_a -= 1;
                    if len_a == 0 {
                        break 'merge false;
                    }
                    if wins_a < MIN_GALLOP && wins_b < MIN_GALLOP {
                        break;
                    }
                }
                // A penalty for leaving galloping mode.
                self.min_gallop += 1;
            }
        };
        if copy_a {
            // The first element of run B belongs at the front of the merge.
            dest -= len_a as isize;
            cursor_a -= len_a as isize;
            let from = at(cursor_a + 1);
            self.work.copy_within(from..from + len_a, at(dest + 1));
            self.work[at(dest)] = temp[at(cursor_temp)];
        } else if len_b > 0 {
            let to = at(dest - (len_b as isize - 1));
            self.work[to..to + len_b].copy_from_slice(&temp[..len_b]);
        }
    }

    /// Where `key` goes in the sorted `base..base + len` of `side`, left of equal elements,
    /// searched outwards from `hint`.
    fn gallop_left(&self, side: Side, key: usize, base: usize, len: usize, hint: usize) -> usize {
        let element = |offset: usize| side.get(&self.work, base + offset);
        let (mut last, mut offset);
        if self.less(element(hint), key) {
            // a[hint] < key: gallop right until a[hint + last] < key <= a[hint + offset].
            let max = len - hint;
            (last, offset) = (0, 1);
            while offset < max && self.less(element(hint + offset), key) {
                last = offset;
                offset = (offset << 1) + 1;
            }
            offset = offset.min(max);
            (last, offset) = (last + hint, offset + hint);
        } else {
            // key <= a[hint]: gallop left until a[hint - offset] < key <= a[hint - last].
            let max = hint + 1;
            (last, offset) = (0, 1);
            while offset < max && !self.less(element(hint - offset), key) {
                last = offset;
                offset = (offset << 1) + 1;
            }
            offset = offset.min(max);
            // `hint - offset` may be -1: kept shifted by one.
            (last, offset) = (hint + 1 - offset, hint - last);
            return self.binary_left(&element, key, last, offset);
        }
        self.binary_left(&element, key, last + 1, offset)
    }

    /// The binary search of `gallop_left` over `from..to` (`from` already past the last
    /// element known to be less).
    fn binary_left(
        &self,
        element: &dyn Fn(usize) -> usize,
        key: usize,
        from: usize,
        to: usize,
    ) -> usize {
        let (mut low, mut high) = (from, to);
        while low < high {
            let middle = low + ((high - low) >> 1);
            if self.less(element(middle), key) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        high
    }

    /// Where `key` goes in the sorted `base..base + len` of `side`, right of equal elements,
    /// searched outwards from `hint`.
    fn gallop_right(&self, side: Side, key: usize, base: usize, len: usize, hint: usize) -> usize {
        let element = |offset: usize| side.get(&self.work, base + offset);
        let (mut last, mut offset) = (0, 1);
        let from;
        if self.less(key, element(hint)) {
            // key < a[hint]: gallop left until a[hint - offset] <= key < a[hint - last].
            let max = hint + 1;
            while offset < max && self.less(key, element(hint - offset)) {
                last = offset;
                offset = (offset << 1) + 1;
            }
            offset = offset.min(max);
            (from, offset) = (hint + 1 - offset, hint - last);
        } else {
            // a[hint] <= key: gallop right until a[hint + last] <= key < a[hint + offset].
            let max = len - hint;
            while offset < max && !self.less(key, element(hint + offset)) {
                last = offset;
                offset = (offset << 1) + 1;
            }
            offset = offset.min(max);
            (from, offset) = (last + hint + 1, offset + hint);
        }
        let (mut low, mut high) = (from, offset);
        while low < high {
            let middle = low + ((high - low) >> 1);
            if self.less(key, element(middle)) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        high
    }
}

/// Which array a gallop searches: the work array, or a merge's copy of one run.
#[derive(Clone, Copy)]
enum Side<'a> {
    Work,
    Temp(&'a [usize]),
}

impl Side<'_> {
    fn get(self, work: &[usize], index: usize) -> usize {
        match self {
            Side::Work => work[index],
            Side::Temp(temp) => temp[index],
        }
    }
}

/// TimSort's minimum run length: `n` itself below 64, else between 32 and 64.
fn min_run_length(mut n: usize) -> usize {
    let mut low_bit = 0;
    while n >= 64 {
        low_bit |= n & 1;
        n >>= 1;
    }
    n + low_bit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_comparators_sort_stably() {
        let mut items: Vec<(u32, usize)> = (0..500).map(|i| ((i * 7919 % 13) as u32, i)).collect();
        let mut expected = items.clone();
        expected.sort_by_key(|item| std::cmp::Reverse(item.0));
        sort(&mut items, |a, b| b.0.cmp(&a.0));
        assert_eq!(items, expected);
        let mut descending: Vec<u32> = (0..300).rev().collect();
        sort(&mut descending, u32::cmp);
        assert_eq!(descending, (0..300).collect::<Vec<_>>());
    }

    #[test]
    fn min_run_lengths() {
        assert_eq!(min_run_length(63), 63);
        assert_eq!(min_run_length(64), 32);
        assert_eq!(min_run_length(65), 33);
        assert_eq!(min_run_length(1000), 63);
    }
}
