/**
 * Redis's partial quicksort (pqsort.c: NetBSD's Bentley–McIlroy qsort that only recurses into
 * partitions overlapping [lrange, rrange]), used by SORT ... LIMIT and by GEO searches with COUNT.
 * Ported step for step so that equal keys land where Redis puts them; like Redis's copy (and unlike
 * NetBSD's), a pass without swaps does not switch to insertion sort.
 */
export function pqsort<T>(
  v: T[],
  cmp: (a: T, b: T) => number,
  lrange: number,
  rrange: number,
): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (a: number, b: number, c: number) =>
    cmp(v[a], v[b]) < 0
      ? (cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a)
      : (cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c);
  const insertion = (a: number, n: number) => {
    for (let pm = a + 1; pm < a + n; pm++) {
      for (let pl = pm; pl > a && cmp(v[pl - 1], v[pl]) > 0; pl--) swap(pl, pl - 1);
    }
  };
  // The partition [a, a+n) matters unless the range lies wholly before or after it.
  const overlaps = (a: number, n: number) =>
    !((lrange < a && rrange < a) || (lrange > a + n - 1 && rrange > a + n - 1));
  const sort = (a: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        insertion(a, n);
        return;
      }
      let pm = a + Math.floor(n / 2);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1;
      let pb = pa;
      let pc = a + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
          if (r === 0) {
            swap(pa, pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
          if (r === 0) {
            swap(pc, pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb, pc);
        pb++;
        pc--;
      }
      const pn = a + n;
      let r = Math.min(pa - a, pb - pa);
      vecswap(a, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      if ((r = pb - pa) > 1 && overlaps(a, r)) sort(a, r);
      if ((r = pd - pc) > 1) {
        a = pn - r;
        n = r;
        if (overlaps(a, n)) continue;
      }
      return;
    }
  };
  sort(0, v.length);
}
