--
-- tiktrack.parse_url(): every form of TikTok link people paste, and the
-- errors for everything else.
--
CREATE EXTENSION tiktrack;
\pset null '<NULL>'

--
-- Accepted URLs, one row each: kind, lower-case handle (NULL when the URL
-- names none), video id (NULL for short links and profiles) and canonical
-- URL (NULL for a post whose URL names no creator).
--
SELECT n, (tiktrack.parse_url(u)).*
FROM (VALUES
	-- the plain share link, with and without www./m., http or https
	(1, 'https://www.tiktok.com/@scout2015/video/6718335390845095173'),
	(2, 'https://tiktok.com/@scout2015/video/6718335390845095173'),
	(3, 'https://m.tiktok.com/@scout2015/video/6718335390845095173'),
	(4, 'http://www.tiktok.com/@scout2015/video/6718335390845095173'),
	-- query strings, fragments, trailing slashes, surrounding whitespace
	(5, 'https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1&sender_device=pc&web_id=7123'),
	(6, 'https://www.tiktok.com/@scout2015/video/6718335390845095173#comments'),
	(7, 'https://www.tiktok.com/@scout2015/video/6718335390845095173/'),
	(8, 'https://www.tiktok.com/@scout2015/video/6718335390845095173//?lang=en#x'),
	(9, E'  \t https://www.tiktok.com/@scout2015/video/6718335390845095173 \r\n'),
	-- case: scheme, host and path keywords are case-insensitive, the handle is lower-cased
	(10, 'HTTPS://WWW.TikTok.COM/@Scout2015/Video/6718335390845095173'),
	(11, 'https://www.tiktok.com/@Some.User_99/video/7300000000000000001'),
	(12, 'https://www.tiktok.com/%40Scout2015/video/6718335390845095173'),
	-- explicit default ports
	(13, 'https://www.tiktok.com:443/@scout2015/video/6718335390845095173'),
	(14, 'http://www.tiktok.com:80/@scout2015/video/6718335390845095173'),
	-- scheme-less input is taken as https
	(15, 'www.tiktok.com/@a/video/1'),
	(16, 'tiktok.com/@a/video/1'),
	(17, 'tiktok.com:443/@a/video/1'),
	-- the largest bigint
	(18, 'https://www.tiktok.com/@a/video/9223372036854775807'),
	-- photo posts
	(19, 'https://www.tiktok.com/@scout2015/photo/7311111111111111111'),
	(20, 'https://www.tiktok.com/@scout2015/photo/7311111111111111111?is_from_webapp=1'),
	-- embeds and old mobile links name no creator
	(21, 'https://www.tiktok.com/embed/v2/6718335390845095173'),
	(22, 'https://www.tiktok.com/embed/6718335390845095173?autoplay=1'),
	(23, 'https://m.tiktok.com/v/6718335390845095173.html'),
	(24, 'https://m.tiktok.com/v/6718335390845095173.html?u_code=abc&preview_pb=0'),
	-- short links keep the code's case and get a trailing slash
	(25, 'https://vm.tiktok.com/ZMabc123/'),
	(26, 'https://vm.tiktok.com/ZMabc123'),
	(27, 'http://VT.TikTok.com/ZSxyz789/?k=1'),
	(28, 'vm.tiktok.com/ZMabc123'),
	(29, 'https://www.tiktok.com/t/ZT8abcdEf/'),
	(30, 'https://tiktok.com/t/ZT8abcdEf'),
	(31, 'https://vm.tiktok.com/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345/'),
	-- profiles
	(32, 'https://www.tiktok.com/@scout2015'),
	(33, 'https://www.tiktok.com/@Scout2015/?lang=en'),
	(34, 'tiktok.com/@a'),
	(35, 'https://www.tiktok.com/@' || repeat('x', 64))
) v(n, u)
ORDER BY n;

-- NULL in, NULL out (the function is STRICT).
SELECT (tiktrack.parse_url(NULL)).*;

-- The canonical URL parses to the same result (a fixed point).
SELECT u, p = q AS same
FROM (VALUES
	('http://m.tiktok.com:80/%40Scout2015/Photo/7311111111111111111/?x=1'),
	('  vt.tiktok.com/ZSxyz789 '),
	('https://TIKTOK.com/@Scout2015')
) v(u),
LATERAL tiktrack.parse_url(u) p,
LATERAL tiktrack.parse_url(p.canonical_url) q;

-- The SQLSTATE of every rejection below is invalid_parameter_value (22023).
CREATE FUNCTION pg_temp.parse_error(u text, OUT state text, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM tiktrack.parse_url(u);
	state := 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
END
$$;
SELECT u, (pg_temp.parse_error(u)).*
FROM (VALUES
	(''), ('ftp://www.tiktok.com/@a/video/1'), ('https://tiktok.com.evil.example/@a/video/1'),
	('https://user:pw@www.tiktok.com/@a/video/1'), ('https://www.tiktok.com:8443/@a/video/1'),
	('https://www.tiktok.com/@a/video/9223372036854775808'), ('https://www.tiktok.com/foryou')
) v(u);

--
-- Rejections, one statement each, so the message, DETAIL and HINT a user
-- sees are all visible.
--
-- empty, blank, too long (the message quotes the trimmed input, clipped)
SELECT tiktrack.parse_url('');
SELECT tiktrack.parse_url(E' \t\n ');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/1?q=' || repeat('x', 2020));
-- spaces and control characters inside the URL
SELECT tiktrack.parse_url('https://www.tiktok.com/@a b/video/1');
SELECT tiktrack.parse_url(E'https://www.tik\ttok.com/@a/video/1');
-- schemes other than http and https
SELECT tiktrack.parse_url('ftp://www.tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('javascript:alert(document.cookie)//www.tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('file:///etc/passwd');
SELECT tiktrack.parse_url('https:www.tiktok.com/@a/video/1');
-- hosts that are not TikTok's
SELECT tiktrack.parse_url('https://tiktok.com.evil.example/@a/video/1');
SELECT tiktrack.parse_url('https://eviltiktok.com/@a/video/1');
SELECT tiktrack.parse_url('evil.example/tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('https://www.tiktok.com./@a/video/1');
SELECT tiktrack.parse_url('https://us.tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('https:///@a/video/1');
-- userinfo and backslash tricks
SELECT tiktrack.parse_url('https://www.tiktok.com@evil.example/@a/video/1');
SELECT tiktrack.parse_url('https://user@www.tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('https://user:pw@www.tiktok.com/@a/video/1');
SELECT tiktrack.parse_url('https://evil.example\@www.tiktok.com/@a/video/1');
-- ports other than the scheme's default
SELECT tiktrack.parse_url('https://www.tiktok.com:80/@a/video/1');
SELECT tiktrack.parse_url('http://www.tiktok.com:443/@a/video/1');
SELECT tiktrack.parse_url('https://www.tiktok.com:/@a/video/1');
-- bad video ids
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/abc');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/-1');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/9223372036854775808');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/99999999999999999999999');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/0');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/0123');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/');
SELECT tiktrack.parse_url('https://m.tiktok.com/v/12x.html');
-- bad handles
SELECT tiktrack.parse_url('https://www.tiktok.com/@/video/1');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a-b/video/1');
SELECT tiktrack.parse_url('https://www.tiktok.com/@' || repeat('x', 65));
-- bad short links
SELECT tiktrack.parse_url('https://vm.tiktok.com/');
SELECT tiktrack.parse_url('https://vm.tiktok.com/ZM-abc/');
SELECT tiktrack.parse_url('https://vt.tiktok.com/' || repeat('A', 33) || '/');
SELECT tiktrack.parse_url('https://www.tiktok.com/t/');
SELECT tiktrack.parse_url('https://vm.tiktok.com/@a/video/1');
-- unknown paths on a TikTok host
SELECT tiktrack.parse_url('https://www.tiktok.com/');
SELECT tiktrack.parse_url('https://www.tiktok.com/foryou');
SELECT tiktrack.parse_url('https://www.tiktok.com/@user/liked');
SELECT tiktrack.parse_url('https://www.tiktok.com/@a/video/1/comments');
SELECT tiktrack.parse_url('https://www.tiktok.com//@a/video/1');
SELECT tiktrack.parse_url('https://www.tiktok.com/tag/dance');

\pset null ''
DROP EXTENSION tiktrack;
