/**
 * Counts what a request asks of D1: statements, writes, and rows read (D1's `meta.rows_read` when
 * the call returns it; for `first()` and `raw()`, which return no meta, the rows returned). The app
 * reports the counts in a `Server-Timing` header, so load tests and operators can see a route's
 * D1 cost without tracing.
 */
export type D1Stats = { queries: number; writes: number; rowsRead: number };

const RAW = Symbol("raw statement");
const isWrite = (sql: string) => /^\s*(insert|update|delete|replace|create|drop|alter)\b/i.test(sql);

export function meteredD1(db: D1Database, stats: D1Stats): D1Database {
  const count = (sql: string) => {
    stats.queries++;
    if (isWrite(sql)) stats.writes++;
  };
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop, receiver) {
        if (prop === RAW) return target;
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args), sql);
        if (prop === "all" || prop === "run") {
          return async (...args: unknown[]) => {
            count(sql);
            const r = (await (target[prop] as (...a: unknown[]) => Promise<D1Result>)(...args)) as D1Result;
            stats.rowsRead += r.meta?.rows_read ?? r.results?.length ?? 0;
            return r;
          };
        }
        if (prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            count(sql);
            const r = await (target[prop] as (...a: unknown[]) => Promise<unknown>)(...args);
            stats.rowsRead += Array.isArray(r) ? r.length : r == null ? 0 : 1;
            return r;
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  // batch() needs D1's own statements, not proxies of them.
  const unwrap = (s: D1PreparedStatement) => (s as unknown as Record<symbol, D1PreparedStatement | undefined>)[RAW] ?? s;
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "prepare") {
        return (sql: string) => wrap(target.prepare(sql), sql);
      }
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map(unwrap));
          for (const r of results) {
            stats.queries++;
            stats.rowsRead += r.meta?.rows_read ?? 0;
            if ((r.meta?.rows_written ?? 0) > 0) stats.writes++;
          }
          return results;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

