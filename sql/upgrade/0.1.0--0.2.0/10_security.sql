/*
 * Security hardening (issue 9): every statement tiktrack issues resolves
 * only to pg_catalog and tiktrack objects, LISTEN payloads carry ids only
 * and can be switched off (tiktrack.events), and a creator restored
 * without tokens reads reauthorization_needed.
 */

-- caption_tags() computes the videos' generated hashtags and mentions in
-- whoever's session writes a caption: its search_path is pinned.
CREATE OR REPLACE FUNCTION tiktrack.caption_tags(caption text, sigil text)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(array_agg(tag ORDER BY first_pos), '{}')
	FROM (
		SELECT lower(m[1]) AS tag, min(n) AS first_pos
		FROM regexp_matches(caption,
							'(?:^|[^[:alnum:]_])' || CASE sigil WHEN '#' THEN '#' ELSE '@' END
							|| '([[:alnum:]_][[:alnum:]_.]*[[:alnum:]_]|[[:alnum:]_])', 'g')
			 WITH ORDINALITY AS r(m, n)
		GROUP BY lower(m[1])
	) t
$$;
