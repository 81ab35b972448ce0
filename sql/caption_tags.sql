-- tiktrack.caption_tags(): the C function gives exactly the arrays of the
-- SQL function it replaced (0.1.0's body, repeated here as ref_tags), for
-- a corpus of captions, every sigil and several collations; then the
-- values a user checks.
CREATE EXTENSION tiktrack;
\pset null '<NULL>'

-- 0.1.0's definition, character for character.
CREATE FUNCTION pg_temp.ref_tags(caption text, sigil text)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT
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

-- The pieces captions are made of: tags in every script and case
-- (including letters whose lower case is longer, titlecase and final
-- sigma), tags glued to each other or to letters, dots and underscores at
-- the ends, doubled sigils, mentions and e-mail addresses, separators.
CREATE TEMP TABLE pieces (n int, piece text);
INSERT INTO pieces
SELECT n - 1, piece
FROM unnest(ARRAY[
	'#Summer', '#summer', '#SUMMER', '@Bob.Smith.', '@bob.smith', '#été', '#Été',
	'#ÉTÉ', '#straße', '#STRASSE', '#ẞ', '#Ça', '#ça_va', '#Ωμέγα', '#ΣΊΣΥΦΟΣ',
	'#Привет', '#привет', '#東京', '#中文#日本語', '#🎉', '#a🎉b', '🎉#party',
	'#İstanbul', '#istanbul', '#I', '#ǅemal', '#K', '#ａｂｃ', '#١٢٣',
	'#a#b', '#a.b.', '#a..b', '#x_', '#_x', '#x__.', '##x', '#.x', 'a#b', 'é#b',
	'_#b', '.#dot', '#', '@', '@alice', '@Alice.B', '@.x', '@x.', '@@y',
	'mail@example.com', '#1', '#123abc', '#x)', '(#y)', '#z,', '#fyp!',
	'x', 'Hi', 'word', ' ', ' ', '  ', E'\n', E'\t', ',', '.', '!', '-', ''
]) WITH ORDINALITY AS p(piece, n);

-- Captions of 0 to 9 pieces, chosen by a fixed arithmetic walk so the
-- corpus is the same on every run; about one piece in three is glued to
-- the previous one without a space.
CREATE TEMP TABLE corpus (id int, caption text);
INSERT INTO corpus
SELECT c.id,
	   (SELECT coalesce(string_agg(p.piece || CASE WHEN (c.id * 13 + k * 5) % 3 = 0 THEN '' ELSE ' ' END,
								   '' ORDER BY k), '')
		FROM generate_series(1, c.id % 10) AS k
		JOIN pieces p ON p.n = (c.id * 7919 + k * 104729 + k * k * 31) % (SELECT count(*) FROM pieces))
FROM generate_series(1, 3000) AS c(id);

-- Very long captions (10,000 characters and more): thousands of tags,
-- the same tags again in other cases, one 10,000-character tag.
INSERT INTO corpus
SELECT 100000 + g, caption
FROM (VALUES
	(1, (SELECT string_agg('#Tag' || i || ' @u.' || i || ' ', '') FROM generate_series(1, 800) AS i)
		|| (SELECT string_agg('#TAG' || i || ' #tAg' || i || '#x ', '') FROM generate_series(800, 1, -1) AS i)),
	(2, repeat('#été #ÉTÉ #İ #straße @Bob.Smith. @bob.smith ', 250)),
	(3, '#' || repeat('a', 10000)),
	(4, repeat('#a#b', 2500)),
	(5, repeat('a', 5000) || ' #end ' || repeat('.', 5000) || '#last.')
) AS v(g, caption);
INSERT INTO corpus VALUES (200000, ''), (200001, NULL);

SELECT count(*) AS captions, max(length(caption)) AS longest FROM corpus;

CREATE TEMP TABLE sigils (sigil text);
INSERT INTO sigils VALUES ('#'), ('@'), ('x'), (''), ('##'), (NULL);

-- Under the database's collation: no difference anywhere, and the corpus
-- is not trivial (the numbers of tags found prove it).
SELECT s.sigil,
	   count(*) AS compared,
	   count(*) FILTER (WHERE tiktrack.caption_tags(c.caption, s.sigil)
						IS DISTINCT FROM pg_temp.ref_tags(c.caption, s.sigil)) AS differences,
	   sum(cardinality(tiktrack.caption_tags(c.caption, s.sigil))) AS tags
FROM corpus c CROSS JOIN sigils s
GROUP BY s.sigil ORDER BY s.sigil NULLS LAST;

-- The same under explicit collations: byte-wise C, libc's C.utf8, ICU's
-- root and Turkish (where 'İ' lowers to 'i', not 'i̇').
CREATE FUNCTION pg_temp.differences(coll text,
	OUT collation_name text, OUT compared bigint, OUT differences bigint, OUT tags bigint)
LANGUAGE plpgsql AS $$
BEGIN
	collation_name := coll;
	EXECUTE format($q$
		SELECT count(*),
			   count(*) FILTER (WHERE tiktrack.caption_tags(c.caption COLLATE %1$I, s.sigil)
								IS DISTINCT FROM pg_temp.ref_tags(c.caption COLLATE %1$I, s.sigil)),
			   sum(cardinality(tiktrack.caption_tags(c.caption COLLATE %1$I, s.sigil)))
		FROM corpus c CROSS JOIN sigils s$q$, coll)
		INTO compared, differences, tags;
END
$$;
SELECT d.* FROM unnest(ARRAY['C', 'POSIX', 'C.utf8', 'und-x-icu', 'tr-x-icu']) AS coll,
	 LATERAL pg_temp.differences(coll) AS d;

-- Without a collation (columns of two collations concatenated), both use
-- the database's default collation.
CREATE TEMP TABLE two_collations (a text COLLATE "C", b text COLLATE "POSIX");
INSERT INTO two_collations VALUES ('#ÉTÉ #a', ' #İx #A');
SELECT tiktrack.caption_tags(a || b, '#') AS c_tags, pg_temp.ref_tags(a || b, '#') AS ref_tags
FROM two_collations;

-- What a user sees.
SELECT tiktrack.caption_tags('Hi #Summer #summer @Bob.Smith. #été', '#') AS hashtags,
	   tiktrack.caption_tags('Hi #Summer #summer @Bob.Smith. #été', '@') AS mentions;
SELECT tiktrack.caption_tags('#a#b #c. @x.y. @_z', '#') AS hashtags,
	   tiktrack.caption_tags('#a#b #c. @x.y. @_z', 'x') AS other_sigil_means_mentions;
SELECT tiktrack.caption_tags('##x a#b _#c é#d .#e #a.b. #x__.', '#') AS edges;
SELECT tiktrack.caption_tags('#ÉTÉ #Été #straße #STRASSE #Привет #東京 #🎉 #a🎉b', '#') AS scripts;
SELECT tiktrack.caption_tags('#İstanbul' COLLATE "tr-x-icu", '#') AS turkish,
	   tiktrack.caption_tags('#İstanbul #été' COLLATE "C", '#') AS bytewise;
SELECT tiktrack.caption_tags('', '#') AS empty,
	   tiktrack.caption_tags('no tags here, mail@example.com', '#') AS none,
	   tiktrack.caption_tags(NULL, '#') AS null_caption,
	   tiktrack.caption_tags('#a', NULL) AS null_sigil;
SELECT cardinality(tiktrack.caption_tags(caption, '#')) AS distinct_hashtags,
	   (tiktrack.caption_tags(caption, '#'))[1:3] AS first_three,
	   cardinality(tiktrack.caption_tags(caption, '@')) AS distinct_mentions
FROM corpus WHERE id = 100001;

-- A nondeterministic collation is refused, as regular expressions refuse it.
CREATE COLLATION pg_temp.case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT tiktrack.caption_tags('#a' COLLATE pg_temp.case_insensitive, '#');

DROP EXTENSION tiktrack;
