/**
 * SQL turning a jsonb object into one that survives JSON.parse exactly: a number that is not an integer
 * of at most 15 digits (numeric(24,8), bigint, double precision) becomes its decimal text, since a
 * JavaScript number would round it or drop its scale.
 */
export function exactJsonSql(jsonbObject: string): string {
  return `(SELECT coalesce(pg_catalog.jsonb_object_agg(e.key,
             CASE WHEN pg_catalog.jsonb_typeof(e.value) = 'number' AND e.value::text !~ '^-?[0-9]{1,15}$'
                  THEN pg_catalog.to_jsonb(e.value #>> '{}') ELSE e.value END), '{}'::jsonb)
            FROM pg_catalog.jsonb_each(${jsonbObject}) e)`;
}
