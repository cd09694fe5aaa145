"""Small selection and sorting kernels.

NumPy's sorts inside Numba (``np.argsort`` with ``kind="mergesort"``, ``np.sort``) compile slowly, and a
pool of a hundred thousand posts needs only its top share and a shuffle, not a full sort. These are
plain loops:

* ``kth_largest``: quickselect (median-of-three pivot, three-way partition);
* ``radix_argsort``: a stable least-significant-digit radix sort of unsigned 64-bit keys;
* ``sort_inplace``: Shell sort of a short integer segment (a user's follow list).

Each returns exactly what a correct selection or stable sort returns, so replacing NumPy's versions with
them changes no result.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_DIGIT_BITS = 11
_DIGITS = 1 << _DIGIT_BITS


@njit
def kth_largest(values, n, k, work):
    """The k-th largest of values[:n] (1 <= k <= n), using work[:n] as scratch."""
    for i in range(n):
        work[i] = values[i]
    lo, hi, target = 0, n - 1, k - 1  # target rank in descending order
    while lo < hi:
        a, b, c = work[lo], work[(lo + hi) >> 1], work[hi]
        pivot = max(min(a, b), min(max(a, b), c))
        # three-way partition: [lo, lt) > pivot, [lt, gt] == pivot, (gt, hi] < pivot
        lt, i, gt = lo, lo, hi
        while i <= gt:
            v = work[i]
            if v > pivot:
                work[i] = work[lt]
                work[lt] = v
                lt += 1
                i += 1
            elif v < pivot:
                work[i] = work[gt]
                work[gt] = v
                gt -= 1
            else:
                i += 1
        if target < lt:
            hi = lt - 1
        elif target > gt:
            lo = gt + 1
        else:
            return pivot
    return work[lo]


@njit
def radix_argsort(keys, n):
    """The stable ascending order of keys[:n] (unsigned 64-bit) as an int64 index array."""
    order = np.arange(n)
    if n <= 32:  # insertion sort
        for i in range(1, n):
            o = order[i]
            k = keys[o]
            j = i
            while j > 0 and keys[order[j - 1]] > k:
                order[j] = order[j - 1]
                j -= 1
            order[j] = o
        return order
    kmax = keys[0]
    for i in range(1, n):
        kmax = max(kmax, keys[i])
    tmp = np.empty(n, np.int64)
    counts = np.empty(_DIGITS + 1, np.int64)
    mask = np.uint64(_DIGITS - 1)
    shift = np.uint64(0)
    while shift < np.uint64(64) and (kmax >> shift) > np.uint64(0):
        counts[:] = 0
        for i in range(n):
            counts[np.int64((keys[order[i]] >> shift) & mask) + 1] += 1
        for d in range(_DIGITS):
            counts[d + 1] += counts[d]
        for i in range(n):
            o = order[i]
            d = np.int64((keys[o] >> shift) & mask)
            tmp[counts[d]] = o
            counts[d] += 1
        order, tmp = tmp, order
        shift += np.uint64(_DIGIT_BITS)
    return order


@njit
def sort_inplace(a, lo, hi):
    """Sort a[lo:hi] ascending in place (Shell sort with Ciura's gaps; for short segments)."""
    n = hi - lo
    for gap in (701, 301, 132, 57, 23, 10, 4, 1):
        if gap >= n:
            continue
        for i in range(lo + gap, hi):
            v = a[i]
            j = i
            while j - gap >= lo and a[j - gap] > v:
                a[j] = a[j - gap]
                j -= gap
            a[j] = v
