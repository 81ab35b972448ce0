/*-------------------------------------------------------------------------
 *
 * chart_svg.c
 *	  Standalone SVG line charts over time.  Pure; see chart_svg.h.
 *
 * Layout: the title on top, the plot with its y axis on the left, the
 * legend in a column on the right, time ticks below.  Values start at 0
 * when none is negative (counters), so lines compare by height.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chart_svg.h"

/* Tableau 10: distinct, readable on white, colour-blind tolerant. */
static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
};
#define PALETTE_SIZE ((int) (sizeof(palette) / sizeof(palette[0])))

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Legend labels are cut to this many characters (with an ellipsis). */
#define LEGEND_MAX_CHARS 24
/* Titles likewise. */
#define TITLE_MAX_CHARS 90
/* Series with at most this many points get a dot on each. */
#define DOTS_MAX_POINTS 40

typedef struct Writer
{
	ChartWrite	write;
	void	   *ctx;
} Writer;

static void
put(Writer *w, const char *s)
{
	w->write(w->ctx, s, strlen(s));
}

#ifdef __GNUC__
static void putf(Writer *w, const char *fmt,...) __attribute__((format(printf, 2, 3)));
#endif

static void
putf(Writer *w, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;
	int			len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t) len >= sizeof(buf))
		len = sizeof(buf) - 1;
	w->write(w->ctx, buf, (size_t) len);
}

void
chart_format_number(double v, char *buf, size_t size)
{
	static const struct
	{
		double		scale;
		const char *suffix;
	}			units[] = {
		{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}, {1, ""}
	};
	double		a = fabs(v);
	size_t		u;
	char	   *dot;
	char	   *end;

	if (!isfinite(v))
	{
		snprintf(buf, size, "%s", isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf"));
		return;
	}
	/* round to two decimals first, so 999.999 becomes 1K, not 1000 */
	for (u = 0; u < sizeof(units) / sizeof(units[0]) - 1; u++)
		if (round(a / units[u].scale * 100) / 100 >= 1)
			break;
	snprintf(buf, size, "%.2f", v / units[u].scale);
	/* drop trailing zeros and a bare decimal point */
	dot = strchr(buf, '.');
	if (dot)
	{
		end = buf + strlen(buf) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
	snprintf(buf + strlen(buf), size - strlen(buf), "%s", units[u].suffix);
}

void
chart_nice_ticks(double lo, double hi, int max_ticks, double *first,
				 double *step, int *count)
{
	static const double mantissas[] = {1, 2, 2.5, 5, 10};
	double		raw;
	double		magnitude;
	size_t		i;

	if (max_ticks < 1)
		max_ticks = 1;
	if (!(hi > lo))
		hi = lo + 1;
	raw = (hi - lo) / max_ticks;
	magnitude = pow(10, floor(log10(raw)));
	*step = magnitude * 10;
	for (i = 0; i < sizeof(mantissas) / sizeof(mantissas[0]); i++)
	{
		double		s = mantissas[i] * magnitude;

		if (ceil(hi / s - 1e-9) - floor(lo / s + 1e-9) <= max_ticks)
		{
			*step = s;
			break;
		}
	}
	*first = floor(lo / *step + 1e-9) * *step;
	*count = (int) (ceil(hi / *step - 1e-9) - floor(lo / *step + 1e-9)) + 1;
}

double
chart_time_step(double span, int max_ticks)
{
	static const double steps[] = {
		1, 2, 5, 10, 15, 30,
		60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
		3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
		56 * 86400, 91 * 86400, 182 * 86400, 364 * 86400
	};
	size_t		i;
	double		s;

	if (max_ticks < 1)
		max_ticks = 1;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= max_ticks)
			return steps[i];
	/* beyond years: whole multiples of 364 days */
	s = 364 * 86400.0;
	return ceil(span / max_ticks / s) * s;
}

void
chart_format_time(double t, double step, int with_date, char *buf, size_t size)
{
	time_t		secs = (time_t) floor(t);
	struct tm	tm;

	gmtime_r(&secs, &tm);
	if (step >= 86400)
		snprintf(buf, size, "%s %d", months[tm.tm_mon], tm.tm_mday);
	else if (step >= 60)
		snprintf(buf, size, "%s%s%.0d%s%02d:%02d",
				 with_date ? months[tm.tm_mon] : "", with_date ? " " : "",
				 with_date ? tm.tm_mday : 0, with_date ? " " : "",
				 tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, size, "%s%s%.0d%s%02d:%02d:%02d",
				 with_date ? months[tm.tm_mon] : "", with_date ? " " : "",
				 with_date ? tm.tm_mday : 0, with_date ? " " : "",
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Bytes of the UTF-8 sequence starting with lead byte c (1 if invalid). */
static int
utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

void
chart_write_escaped(ChartWrite write, void *ctx, const char *s, size_t max_chars)
{
	size_t		chars = 0;

	while (*s)
	{
		unsigned char c = (unsigned char) *s;
		int			len = utf8_len(c);
		int			k;

		if (chars == max_chars)
		{
			write(ctx, "\xe2\x80\xa6", 3);	/* ellipsis */
			return;
		}
		/* a truncated sequence at the end of the string: stop */
		for (k = 1; k < len; k++)
			if (s[k] == '\0')
				return;
		if (c == '&')
			write(ctx, "&amp;", 5);
		else if (c == '<')
			write(ctx, "&lt;", 4);
		else if (c == '>')
			write(ctx, "&gt;", 4);
		else if (c == '"')
			write(ctx, "&quot;", 6);
		else if (c == '\'')
			write(ctx, "&apos;", 6);
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			write(ctx, "?", 1);
		else if (len == 1 && c >= 0x80)
			write(ctx, "?", 1); /* a stray continuation byte */
		else
			write(ctx, s, len);
		s += len;
		chars++;
	}
}

typedef struct Frame
{
	double		x0, x1, y0, y1;	/* plot area in pixels, y0 at the top */
	double		tmin, tmax;		/* time range */
	double		vmin, vmax;		/* value range */
} Frame;

static double
px_x(const Frame *f, double t)
{
	return f->x0 + (t - f->tmin) / (f->tmax - f->tmin) * (f->x1 - f->x0);
}

static double
px_y(const Frame *f, double v)
{
	return f->y1 - (v - f->vmin) / (f->vmax - f->vmin) * (f->y1 - f->y0);
}

/* The y axis: gridlines and value labels. */
static void
draw_y_axis(Writer *w, const Frame *f, double first, double step, int count)
{
	int			i;
	char		label[64];

	put(w, "<g class=\"y-axis\" font-size=\"11\" fill=\"#444\" text-anchor=\"end\">\n");
	for (i = 0; i < count; i++)
	{
		double		v = first + i * step;
		double		y = px_y(f, v);

		chart_format_number(fabs(v) < step * 1e-9 ? 0 : v, label, sizeof(label));
		putf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n",
			 f->x0, y, f->x1, y);
		putf(w, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", f->x0 - 6, y + 4, label);
	}
	put(w, "</g>\n");
}

/* The x axis: ticks at whole multiples of a time step, UTC. */
static void
draw_x_axis(Writer *w, const Frame *f, int max_ticks)
{
	double		step = chart_time_step(f->tmax - f->tmin, max_ticks);
	double		t = ceil(f->tmin / step - 1e-9) * step;
	long		last_day = -1;
	char		label[64];

	put(w, "<g class=\"x-axis\" font-size=\"11\" fill=\"#444\" text-anchor=\"middle\">\n");
	for (; t <= f->tmax + 1e-6; t += step)
	{
		double		x = px_x(f, t);
		long		day = (long) floor(t / 86400);

		chart_format_time(t, step, step < 86400 && day != last_day, label, sizeof(label));
		last_day = day;
		putf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
			 x, f->y1, x, f->y1 + 5);
		putf(w, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, f->y1 + 18, label);
	}
	put(w, "</g>\n");
}

/* One series: polylines between gaps, and dots when there are few points. */
static void
draw_series(Writer *w, const Frame *f, const ChartSeries *s, const char *color)
{
	int			i;
	int			open = 0;
	int			known = 0;

	for (i = 0; i < s->n; i++)
		known += !isnan(s->v[i]);
	putf(w, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n", color, color);
	for (i = 0; i < s->n; i++)
	{
		if (isnan(s->v[i]))
		{
			if (open)
				put(w, "\"/>\n");
			open = 0;
			continue;
		}
		if (!open)
			put(w, "<polyline fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"");
		else
			put(w, " ");
		putf(w, "%.1f,%.1f", px_x(f, s->t[i]), px_y(f, s->v[i]));
		open = 1;
	}
	if (open)
		put(w, "\"/>\n");
	if (known <= DOTS_MAX_POINTS)
		for (i = 0; i < s->n; i++)
			if (!isnan(s->v[i]))
				putf(w, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" stroke=\"none\"/>\n",
					 px_x(f, s->t[i]), px_y(f, s->v[i]));
	put(w, "</g>\n");
}

static void
draw_legend(Writer *w, const ChartSeries *series, int nseries, double x,
			double y, double bottom, double width)
{
	int			i;
	int			fits = (int) ((bottom - y) / 18);
	/* about 7 pixels a character at 12 px, after the 24 px of the swatch */
	int			chars = (int) fmin(LEGEND_MAX_CHARS, fmax(4, (width - 30) / 7));

	put(w, "<g class=\"legend\" font-size=\"12\" fill=\"#222\">\n");
	for (i = 0; i < nseries; i++)
	{
		double		row = y + i * 18;

		if (i == fits - 1 && nseries > fits)
		{
			putf(w, "<text x=\"%.1f\" y=\"%.1f\">+ %d more</text>\n", x, row + 4, nseries - i);
			break;
		}
		putf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
			 x, row, x + 18, row, palette[i % PALETTE_SIZE]);
		putf(w, "<text x=\"%.1f\" y=\"%.1f\">", x + 24, row + 4);
		chart_write_escaped(w->write, w->ctx, series[i].label ? series[i].label : "",
							chars);
		put(w, "</text>\n");
	}
	put(w, "</g>\n");
}

void
chart_svg_render(const ChartSpec *spec, const ChartSeries *series, int nseries,
				 ChartWrite write, void *ctx)
{
	Writer		w = {write, ctx};
	Frame		f;
	double		legend_w = nseries > 0 ? fmin(200, spec->width / 4.0) : 0;
	int			points = 0;
	double		first, step;
	int			count;
	int			i, j;

	/* ranges over the known points */
	f.tmin = f.vmin = INFINITY;
	f.tmax = f.vmax = -INFINITY;
	for (i = 0; i < nseries; i++)
		for (j = 0; j < series[i].n; j++)
		{
			if (isnan(series[i].v[j]))
				continue;
			points++;
			f.tmin = fmin(f.tmin, series[i].t[j]);
			f.tmax = fmax(f.tmax, series[i].t[j]);
			f.vmin = fmin(f.vmin, series[i].v[j]);
			f.vmax = fmax(f.vmax, series[i].v[j]);
		}
	if (points == 0)
	{
		f.tmin = 0;
		f.tmax = 86400;
		f.vmin = 0;
		f.vmax = 1;
	}
	if (f.vmin > 0)
		f.vmin = 0;
	if (!(f.tmax > f.tmin))
	{
		f.tmin -= 60;
		f.tmax += 60;
	}
	f.x0 = 64;
	f.x1 = spec->width - legend_w - 16;
	f.y0 = spec->title ? 44 : 20;
	f.y1 = spec->height - 34;
	chart_nice_ticks(f.vmin, f.vmax, (int) fmax(2, (f.y1 - f.y0) / 50), &first, &step, &count);
	f.vmin = first;
	f.vmax = first + (count - 1) * step;

	putf(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		 "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n",
		 spec->width, spec->height, spec->width, spec->height);
	put(&w, "<title>");
	chart_write_escaped(write, ctx, spec->title ? spec->title : "chart", TITLE_MAX_CHARS);
	put(&w, "</title>\n");
	putf(&w, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", spec->width, spec->height);
	if (spec->title)
	{
		put(&w, "<text class=\"title\" x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\" fill=\"#222\">");
		chart_write_escaped(write, ctx, spec->title, TITLE_MAX_CHARS);
		put(&w, "</text>\n");
	}
	putf(&w, "<text class=\"y-label\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#444\" text-anchor=\"end\">",
		 f.x1, f.y0 - 8);
	chart_write_escaped(write, ctx, spec->y_label ? spec->y_label : "", LEGEND_MAX_CHARS);
	put(&w, "</text>\n");

	draw_y_axis(&w, &f, first, step, count);
	draw_x_axis(&w, &f, (int) fmax(2, (f.x1 - f.x0) / 110));
	putf(&w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
		 f.x0, f.y1, f.x1, f.y1);
	putf(&w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
		 f.x0, f.y0, f.x0, f.y1);

	if (points == 0)
		putf(&w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">no snapshots yet</text>\n",
			 (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2);
	for (i = 0; i < nseries; i++)
		draw_series(&w, &f, &series[i], palette[i % PALETTE_SIZE]);
	if (nseries > 0)
		draw_legend(&w, series, nseries, spec->width - legend_w, f.y0 + 6, f.y1, legend_w);
	put(&w, "</svg>\n");
}
