//! A stable sort by an integer key with one sorting routine for the whole program.
//!
//! Every `sort_by_key` call site compiles its own copy of the standard library's sort for its
//! element type and key (about 5 KB of wasm each). [`sort_by_key`] sorts (key, position) pairs
//! with the one routine in [`order_of`] and then moves the elements by swaps, so a call site
//! costs a few hundred bytes. Same result as `v.sort_by_key(key)`: stable, ties keep their order.

/// Sorts `v` by `key`, stably (equal keys keep their order), as `v.sort_by_key(key)` would.
/// Pack a tuple key into the `u128` (e.g. `(a as u128) << 64 | b as u128`).
pub fn sort_by_key<T>(v: &mut [T], key: impl Fn(&T) -> u128) {
    let mut keys = Vec::with_capacity(v.len());
    for (i, x) in v.iter().enumerate() {
        keys.push((key(x), i));
    }
    let mut swap = |a: usize, b: usize| v.swap(a, b);
    permute(order_of(keys), &mut swap);
}

/// Sorts a short list in place by insertion: the standard library's sort compiles about 3 KB
/// of wasm per element type, this a few hundred bytes, and it is as fast on lists of a few
/// dozen items (sibling values, a few keys, a configuration's servers).
fn sort_small<T: PartialOrd>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sorts short lists of strings (sibling values, a few keys) in place ([`sort_small`]).
#[inline(never)]
pub fn sort_strings(v: &mut [String]) {
    sort_small(v);
}

/// Sorts a short list of server ids (a configuration's voters or learners) in place
/// ([`sort_small`]).
#[inline(never)]
pub fn sort_ids(v: &mut [u32]) {
    sort_small(v);
}

/// The positions of `keys` in sorted order: `order[j]` is the position of the element that
/// goes to place `j`. Keys are (key, position) pairs, all distinct, so the order is unique.
#[inline(never)]
pub fn order_of(mut keys: Vec<(u128, usize)>) -> Vec<usize> {
    keys.sort_unstable();
    keys.into_iter().map(|(_, i)| i).collect()
}

/// Applies `order` (from [`order_of`]) in place with `swap`, cycle by cycle.
#[inline(never)]
fn permute(mut order: Vec<usize>, swap: &mut dyn FnMut(usize, usize)) {
    const DONE: usize = usize::MAX;
    for i in 0..order.len() {
        if order[i] == DONE {
            continue;
        }
        // Place j receives the element now at order[j]; that element's old place is next.
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = DONE;
            if k == i {
                break;
            }
            swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_the_standard_stable_sort() {
        let mut seed = 7u64;
        for n in 0..200usize {
            let mut v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|x| x.0);
            sort_by_key(&mut v, |x| x.0 as u128);
            assert_eq!(v, want, "n {n}");
        }
    }

    #[test]
    fn ids_sort_as_the_standard_sort() {
        let mut seed = 5u64;
        for n in 0..40usize {
            let mut v: Vec<u32> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 60) as u32
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_ids(&mut v);
            assert_eq!(v, want, "n {n}");
        }
    }

    #[test]
    fn strings_sort_as_the_standard_sort() {
        let mut seed = 11u64;
        for n in 0..60usize {
            let mut v: Vec<String> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    format!("{}", seed >> 58)
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            sort_strings(&mut v);
            assert_eq!(v, want, "n {n}");
        }
    }

    #[test]
    fn wide_keys() {
        let mut v = vec![(3u64, 1u32), (1, 9), (3, 0), (u64::MAX, 0), (1, 2)];
        sort_by_key(&mut v, |&(a, b)| (a as u128) << 64 | b as u128);
        assert_eq!(v, [(1, 2), (1, 9), (3, 0), (3, 1), (u64::MAX, 0)]);
    }
}
