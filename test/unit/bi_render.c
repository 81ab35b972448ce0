/*
 * Standalone checks of the pictures' pure logic: sparklines
 * (src/sparkline.c) and the SVG chart pieces (src/chart_svg.c): number
 * and time labels, nice ticks, XML escaping and a whole small chart.
 * Built and run by test/t/080_pictures.pl; prints each failed check and a
 * summary line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_svg.h"
#include "sparkline.h"

static int	checks, failures;

static void
check_str(const char *what, const char *got, const char *want)
{
	checks++;
	if (strcmp(got, want) != 0)
	{
		failures++;
		printf("FAIL %s: got \"%s\", want \"%s\"\n", what, got, want);
	}
}

static void
check_true(const char *what, int ok)
{
	checks++;
	if (!ok)
	{
		failures++;
		printf("FAIL %s\n", what);
	}
}

static void
spark(const char *what, const double *v, const bool *isnull, int n, const char *want)
{
	char		out[256];
	int			bad = -1;

	check_true(what, sparkline_render(v, isnull, n, out, &bad) == SPARKLINE_OK);
	check_str(what, out, want);
}

static void
number(double v, const char *want)
{
	char		buf[64];
	char		what[96];

	chart_format_number(v, buf, sizeof(buf));
	snprintf(what, sizeof(what), "format_number(%g)", v);
	check_str(what, buf, want);
}

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
buf_write(void *ctx, const char *s, size_t len)
{
	Buf		   *b = ctx;

	if (b->len + len + 1 > b->cap)
	{
		b->cap = (b->len + len + 1) * 2;
		b->data = realloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static int
count(const char *hay, const char *needle)
{
	int			n = 0;

	while ((hay = strstr(hay, needle)) != NULL)
	{
		n++;
		hay += strlen(needle);
	}
	return n;
}

int
main(void)
{
	/* sparklines */
	{
		double		v[] = {1, 2, 3, 4, 5, 6, 7, 8};
		double		up[] = {0, 100, 250, 1000};
		double		flat[] = {5, 5, 5};
		double		gaps[] = {1, 0, NAN, 3};
		bool		nulls[] = {false, true, false, false};
		double		far[] = {-1e308, 1e308};
		double		inf[] = {1, INFINITY};
		char		out[64];
		int			bad = -1;

		spark("sparkline 1..8", v, NULL, 8, "▁▂▃▄▅▆▇█");
		spark("sparkline scaled to min and max", up, NULL, 4, "▁▂▃█");
		spark("sparkline of equal values", flat, NULL, 3, "▄▄▄");
		spark("sparkline NULL and NaN are spaces", gaps, nulls, 4, "▁  █");
		spark("sparkline of no values", v, NULL, 0, "");
		spark("sparkline without overflow", far, NULL, 2, "▁█");
		check_true("sparkline of Infinity fails",
				   sparkline_render(inf, NULL, 2, out, &bad) == SPARKLINE_INFINITE && bad == 1);
	}

	/* number labels */
	number(0, "0");
	number(12, "12");
	number(0.25, "0.25");
	number(950, "950");
	number(1000, "1K");
	number(1200, "1.2K");
	number(250000, "250K");
	number(1250000, "1.25M");
	number(1200000, "1.2M");
	number(999999.999, "1M");
	number(3e9, "3B");
	number(-4500, "-4.5K");
	number(7.5e12, "7.5T");

	/* nice ticks */
	{
		double		first, step;
		int			n;
		char		what[128];

		chart_nice_ticks(0, 1240000, 6, &first, &step, &n);
		snprintf(what, sizeof(what), "ticks 0..1.24M: first %g step %g count %d", first, step, n);
		check_true(what, first == 0 && step == 250000 && n == 6);
		chart_nice_ticks(0, 7, 6, &first, &step, &n);
		snprintf(what, sizeof(what), "ticks 0..7: first %g step %g count %d", first, step, n);
		check_true(what, first == 0 && step == 2 && n == 5);
		chart_nice_ticks(-30, 95, 5, &first, &step, &n);
		snprintf(what, sizeof(what), "ticks -30..95: first %g step %g count %d", first, step, n);
		check_true(what, first == -50 && step == 50 && n == 4);
		chart_nice_ticks(0, 0, 5, &first, &step, &n);
		snprintf(what, sizeof(what), "ticks 0..0: first %g step %g count %d", first, step, n);
		check_true(what, first == 0 && step == 0.2 && n == 6);
	}

	/* time ticks and labels (2026-05-22 14:30:15 UTC = 1779460215) */
	{
		char		buf[64];

		check_true("time step over 2 minutes, 6 ticks", chart_time_step(120, 6) == 30);
		check_true("time step over 3 days, 6 ticks", chart_time_step(3 * 86400, 6) == 12 * 3600);
		check_true("time step over 60 days, 6 ticks", chart_time_step(60 * 86400, 6) == 14 * 86400);
		chart_format_time(1779460215, 86400, 0, buf, sizeof(buf));
		check_str("date label", buf, "May 22");
		chart_format_time(1779460200, 3600, 1, buf, sizeof(buf));
		check_str("time label with date", buf, "May 22 14:30");
		chart_format_time(1779460200, 3600, 0, buf, sizeof(buf));
		check_str("time label", buf, "14:30");
		chart_format_time(1779460215, 15, 0, buf, sizeof(buf));
		check_str("seconds label", buf, "14:30:15");
	}

	/* escaping */
	{
		Buf			b = {0};

		chart_write_escaped(buf_write, &b, "<b>\"Tom\" & 'Jerry'\x01</b>", 100);
		check_str("escaped", b.data, "&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;?&lt;/b&gt;");
		b.len = 0;
		chart_write_escaped(buf_write, &b, "héllo wörld", 5);
		check_str("cut at 5 characters", b.data, "héllo…");
		free(b.data);
	}

	/* a whole chart: two series, one with a gap */
	{
		double		t1[] = {1779460000, 1779463600, 1779467200};
		double		v1[] = {1000, 250000, 1240000};
		double		t2[] = {1779460000, 1779463600, 1779467200};
		double		v2[] = {500, NAN, 90000};
		ChartSeries s[] = {{"@alice", 3, t1, v1}, {"@bob & <co>", 3, t2, v2}};
		ChartSpec	spec = {"Spring \"launch\"", "views", 800, 400};
		Buf			b = {0};

		chart_svg_render(&spec, s, 2, buf_write, &b);
		check_true("svg starts with the XML declaration",
				   strncmp(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"400\"", 98) == 0);
		check_true("svg ends with </svg>", strcmp(b.data + b.len - 7, "</svg>\n") == 0);
		check_true("title escaped", strstr(b.data, ">Spring &quot;launch&quot;</text>") != NULL);
		check_true("legend escaped", strstr(b.data, ">@bob &amp; &lt;co&gt;</text>") != NULL);
		check_true("three polylines (the gap splits one)", count(b.data, "<polyline") == 3);
		check_true("y ticks 0 .. 1.25M", strstr(b.data, ">1.25M</text>") && strstr(b.data, ">250K</text>") && strstr(b.data, ">0</text>"));
		check_true("x ticks with the date first", strstr(b.data, ">May 22 14:30</text>") != NULL);
		check_true("no raw ampersand", count(b.data, "&") == count(b.data, "&amp;") + count(b.data, "&lt;") + count(b.data, "&gt;") + count(b.data, "&quot;") + count(b.data, "&apos;"));
		free(b.data);
	}

	/* a narrow chart cuts long legend labels to its legend column */
	{
		double		t[] = {1779460000};
		double		v[] = {5};
		ChartSeries s[] = {{"@a_really_long_handle_name", 1, t, v}};
		ChartSpec	spec = {NULL, "views", 400, 300};
		Buf			b = {0};

		chart_svg_render(&spec, s, 1, buf_write, &b);
		check_true("legend cut to 10 characters at width 400", strstr(b.data, ">@a_really_\xe2\x80\xa6</text>") != NULL);
		free(b.data);
	}

	/* a chart without data says so */
	{
		ChartSpec	spec = {NULL, "views", 400, 300};
		Buf			b = {0};

		chart_svg_render(&spec, NULL, 0, buf_write, &b);
		check_true("empty chart says no snapshots yet", strstr(b.data, ">no snapshots yet</text>") != NULL);
		free(b.data);
	}

	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
