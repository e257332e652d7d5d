// SPDX-License-Identifier: MIT
/*
 * The lab's pictures: recorded runs (struct lab_record) drawn as an SVG
 * timeline, written by hand. Per run (a panel): the operator's lane (its
 * update attempts as markers with their outcome, the hold window), a lane
 * per CPU (SEAMCALL time binned into a heat strip, stop-the-world spans
 * across every CPU lane) and a lane per TD (build windows from INIT_VM to
 * FINALIZE_VM coloured by how the build ended, lease waits, KVM_RUN
 * steps). Panels share one time axis, so --compare reads across runs.
 *
 * Every element a test counts carries a class: "lane" (with data-kind
 * operator, cpu or td), "attempt" (data-outcome), "stw", "build", "hold".
 * Coordinates are printed with fixed precision from integers and doubles
 * computed the same way each time: the same run gives the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"
#include "tdxup/fsafe.h"

#define WIDTH		1200
#define LEFT		96	/* lane labels */
#define RIGHT		24
#define PLOT_W		(WIDTH - LEFT - RIGHT)
#define TITLE_H		52
#define PANEL_HEAD	22
#define OP_LANE_H	54
#define LANE_H		16
#define LANE_GAP	2
#define AXIS_H		34
#define LEGEND_H	58
#define BIN_PX		4	/* heat strip resolution */
#define HEAT_LEVELS	8
#define LABEL_ROWS	3
#define MIN_SPAN_PX	1.5	/* a 30 us refusal stays visible on a 40 ms axis */

#define C_HEAT		"#1f4e99"
#define C_BUILD_OK	"#2e7d32"
#define C_BUILD_WRONG	"#c62828"
#define C_BUILD_FAILED	"#ef6c00"
#define C_CRASHED	"#757575"
#define C_WAIT		"#9e9e9e"
#define C_RUN		"#00838f"
#define C_STW_OK	"#7b1fa2"
#define C_STW_BUSY	"#f9a825"
#define C_STW_FAILED	"#c62828"
#define C_HOLD		"#fdd835"
#define C_UPDATED	"#2e7d32"
#define C_BUSY		"#e65100"
#define C_FAILED	"#b71c1c"

struct canvas {
	FILE *f;
	double t_max_ns;		/* the shared axis: the longest run */
};

const char *lab_policy_name(const struct lab_config *cfg)
{
	if (cfg->hold)
		return "hold";
	return cfg->retry == LAB_RETRY_NONE ? "oneshot" : "retry";
}

static double xpos(const struct canvas *c, uint64_t t_ns)
{
	double t = (double)t_ns;

	if (t > c->t_max_ns)
		t = c->t_max_ns;
	return LEFT + t * PLOT_W / c->t_max_ns;
}

static double span_w(const struct canvas *c, uint64_t b, uint64_t e)
{
	double w = xpos(c, e) - xpos(c, b);

	return w < MIN_SPAN_PX ? MIN_SPAN_PX : w;
}

/* Text for element content and attribute values alike. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':	fputs("&amp;", f); break;
		case '<':	fputs("&lt;", f); break;
		case '>':	fputs("&gt;", f); break;
		case '"':	fputs("&quot;", f); break;
		default:
			/* Control characters are not XML 1.0. */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
		}
	}
}

static void text(FILE *f, double x, double y, const char *attrs, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs[0] ? " " : "", attrs);
	esc(f, s);
	fputs("</text>\n", f);
}

static unsigned int run_height(const struct lab_svg_run *r)
{
	return PANEL_HEAD + OP_LANE_H + (r->cfg->cpus + r->res->nr_tds) * (LANE_H + LANE_GAP) +
	       LANE_GAP + AXIS_H;
}

/* ---- lanes --------------------------------------------------------------- */

static void lane_open(FILE *f, unsigned int panel, const char *kind, unsigned int idx,
		      const char *name, double y, unsigned int h)
{
	fprintf(f, "<g class=\"lane\" data-kind=\"%s\" id=\"p%u-%s%u\" data-name=\"", kind, panel,
		kind, idx);
	esc(f, name);
	fprintf(f, "\">\n<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%u\" fill=\"#f5f5f5\"/>\n",
		LEFT, y, PLOT_W, h);
	text(f, LEFT - 6, y + h / 2.0 + 4, "text-anchor=\"end\"", name);
}

/*
 * SEAMCALL time per bin, as a share of the bin: one strip per CPU, the
 * shade quantised to HEAT_LEVELS so that runs of equal shade merge.
 */
static int heat_strips(const struct canvas *c, const struct lab_svg_run *r, double **out)
{
	const struct lab_record *rec = &r->res->rec;
	unsigned int cpus = r->cfg->cpus, bins = PLOT_W / BIN_PX;
	/* Whole nanoseconds, rounded up: the bins cover the axis and the loop ends. */
	uint64_t bin_ns = ((uint64_t)c->t_max_ns + bins - 1) / bins;
	double *busy = calloc((size_t)cpus * bins, sizeof(*busy));

	if (!busy)
		return -ENOMEM;
	for (size_t i = 0; i < rec->len; i++) {
		const struct lab_span *s = &rec->spans[i];
		uint64_t b = s->begin_ns, e = s->end_ns;

		if (s->kind != LAB_SPAN_SEAMCALL || s->lane >= cpus)
			continue;
		/* A SEAMCALL may straddle bins: each gets its share. */
		while (b < e && b / bin_ns < bins) {
			uint64_t k = b / bin_ns, end = (k + 1) * bin_ns;

			busy[(size_t)s->lane * bins + k] += (double)((e < end ? e : end) - b);
			b = end;
		}
	}
	/* Rounded up: a bin with any SEAMCALL in it shows. */
	for (size_t i = 0; i < (size_t)cpus * bins; i++) {
		double v = busy[i] / (double)bin_ns * HEAT_LEVELS;
		unsigned int lvl = (unsigned int)v;

		busy[i] = v >= HEAT_LEVELS ? HEAT_LEVELS : lvl + (lvl < v);
	}
	*out = busy;
	return 0;
}

static void cpu_lane(const struct canvas *c, unsigned int panel, unsigned int cpu,
		     const double *levels, double y)
{
	unsigned int bins = PLOT_W / BIN_PX, k = 0;
	char name[16];

	snprintf(name, sizeof(name), "CPU %u", cpu);
	lane_open(c->f, panel, "cpu", cpu, name, y, LANE_H);
	/* Thousands of bins: what they share is said once. */
	fprintf(c->f, "<g class=\"heat\" fill=\"" C_HEAT "\">\n");
	while (k < bins) {
		unsigned int end = k + 1;
		double lvl = levels[k];

		while (end < bins && levels[end] == lvl)
			end++;
		if (lvl > 0)
			fprintf(c->f, "<rect x=\"%d\" y=\"%.1f\" width=\"%u\" height=\"%d\" "
				"fill-opacity=\"%.3f\"/>\n", LEFT + k * BIN_PX, y, (end - k) * BIN_PX,
				LANE_H, lvl / HEAT_LEVELS);
		k = end;
	}
	fputs("</g>\n</g>\n", c->f);
}

static const char *build_colour(int end)
{
	switch (end) {
	case LAB_BUILD_OK:		return C_BUILD_OK;
	case LAB_BUILD_WRONG_MRTD:	return C_BUILD_WRONG;
	case LAB_BUILD_FAILED:		return C_BUILD_FAILED;
	}
	return C_CRASHED;
}

static const char *build_end_name(int end)
{
	switch (end) {
	case LAB_BUILD_OK:		return "MRTD ok";
	case LAB_BUILD_WRONG_MRTD:	return "wrong MRTD";
	case LAB_BUILD_FAILED:		return "build failed";
	}
	return "VMM killed";
}

static void td_span(const struct canvas *c, const struct lab_span *s, double y)
{
	double x = xpos(c, s->begin_ns), w = span_w(c, s->begin_ns, s->end_ns);

	switch (s->kind) {
	case LAB_SPAN_BUILD:
		fprintf(c->f, "<rect class=\"build\" data-end=\"%s\" x=\"%.2f\" y=\"%.1f\" "
			"width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"><title>%s: %.3f to "
			"%.3f ms</title></rect>\n", build_end_name(s->result), x, y + 2, w,
			LANE_H - 4, build_colour(s->result), build_end_name(s->result),
			s->begin_ns / 1e6, s->end_ns / 1e6);
		break;
	case LAB_SPAN_LEASE_WAIT:
		fprintf(c->f, "<rect class=\"wait\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			"height=\"2\" fill=\"" C_WAIT "\"/>\n", x, y + LANE_H / 2.0 - 1, w);
		break;
	case LAB_SPAN_RUN:
		fprintf(c->f, "<rect class=\"run\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%d\" fill=\"" C_RUN "\"/>\n", x, y + 4, w, LANE_H - 8);
		break;
	}
}

static void td_lane(const struct canvas *c, unsigned int panel, const struct lab_svg_run *r,
		    unsigned int td, double y)
{
	const struct lab_record *rec = &r->res->rec;

	lane_open(c->f, panel, "td", td, r->res->tds[td].name, y, LANE_H);
	for (size_t i = 0; i < rec->len; i++) {
		const struct lab_span *s = &rec->spans[i];

		if ((s->kind == LAB_SPAN_BUILD || s->kind == LAB_SPAN_LEASE_WAIT ||
		     s->kind == LAB_SPAN_RUN) && s->lane == td)
			td_span(c, s, y);
	}
	fputs("</g>\n", c->f);
}

/* Over every CPU lane: what the kernel's stop_machine did. */
static void stw_spans(const struct canvas *c, const struct lab_svg_run *r, double y, double h)
{
	const struct lab_record *rec = &r->res->rec;

	for (size_t i = 0; i < rec->len; i++) {
		const struct lab_span *s = &rec->spans[i];
		const char *col = !s->result ? C_STW_OK : s->result == -EBUSY ? C_STW_BUSY :
				  C_STW_FAILED;
		const char *what = !s->result ? "update" : s->result == -EBUSY ?
				   "refused, device-busy" : "failed";

		if (s->kind != LAB_SPAN_STW)
			continue;
		fprintf(c->f, "<rect class=\"stw\" data-result=\"%s\" x=\"%.2f\" y=\"%.1f\" "
			"width=\"%.2f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.45\" "
			"stroke=\"%s\" stroke-width=\"0.5\"><title>stop-the-world (%s): %.1f us at "
			"%.3f ms</title></rect>\n", what, xpos(c, s->begin_ns), y,
			span_w(c, s->begin_ns, s->end_ns), h, col, col, what,
			(s->end_ns - s->begin_ns) / 1e3, s->begin_ns / 1e6);
	}
}

/* ---- the operator ---------------------------------------------------------- */

static const char *mark_colour(const char *mark)
{
	if (!strcmp(mark, "updated"))
		return C_UPDATED;
	return strcmp(mark, "device-busy") ? C_FAILED : C_BUSY;
}

/* A marker's shape tells its outcome without colour: disc, triangle, cross. */
static void marker_shape(FILE *f, const char *mark, double x, double y)
{
	const char *col = mark_colour(mark);

	if (!strcmp(mark, "updated"))
		fprintf(f, "<circle cx=\"%.2f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", x, y, col);
	else if (!strcmp(mark, "device-busy"))
		fprintf(f, "<path d=\"M%.2f %.1fl5 9h-10z\" fill=\"%s\"/>\n", x, y - 5, col);
	else
		fprintf(f, "<path d=\"M%.2f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" "
			"stroke-width=\"2.5\"/>\n", x - 4, y - 4, col);
}

/*
 * Labels go on the first of LABEL_ROWS rows where they clear the previous
 * label: back-off retries come a millisecond apart at first.
 */
static void attempts(const struct canvas *c, const struct lab_result *res, double y)
{
	double row_end[LABEL_ROWS];

	for (unsigned int k = 0; k < LABEL_ROWS; k++)
		row_end[k] = 0;
	for (unsigned int i = 0; i < res->nr_attempts; i++) {
		const struct lab_attempt *a = &res->attempts[i];
		double x = xpos(c, a->start_ns), lx = x - 3;
		unsigned int row = LABEL_ROWS;
		char title[160];

		for (unsigned int k = 0; k < LABEL_ROWS && row == LABEL_ROWS; k++)
			if (row_end[k] < lx)
				row = k;
		/* No row is clear: overlap the one that ends first. */
		if (row == LABEL_ROWS) {
			row = 0;
			for (unsigned int k = 1; k < LABEL_ROWS; k++)
				if (row_end[k] < row_end[row])
					row = k;
		}
		row_end[row] = lx + 6.2 * strlen(a->mark) + 4;
		snprintf(title, sizeof(title), "attempt %u at %.3f ms: %s", i + 1,
			 a->start_ns / 1e6, a->error[0] ? a->error : "success");
		fprintf(c->f, "<g class=\"attempt\" data-outcome=\"%s\">\n<title>", a->mark);
		esc(c->f, title);
		fputs("</title>\n", c->f);
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"0.8\"/>\n", x, y + 11 + row * 10, x, y + 38,
			mark_colour(a->mark));
		marker_shape(c->f, a->mark, x, y + 40);
		text(c->f, lx, y + 10 + row * 10, "font-size=\"10\"", a->mark);
		fputs("</g>\n", c->f);
	}
}

static void operator_lane(const struct canvas *c, unsigned int panel,
			  const struct lab_svg_run *r, double y)
{
	const struct lab_record *rec = &r->res->rec;

	lane_open(c->f, panel, "operator", 0, "operator", y, OP_LANE_H);
	for (size_t i = 0; i < rec->len; i++) {
		const struct lab_span *s = &rec->spans[i];
		double x = xpos(c, s->begin_ns), w = span_w(c, s->begin_ns, s->end_ns);

		if (s->kind == LAB_SPAN_HOLD) {
			fprintf(c->f, "<rect class=\"hold\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"%d\" fill=\"" C_HOLD "\" fill-opacity=\"0.55\"><title>TD "
				"builds held: %.3f to %.3f ms%s</title></rect>\n", x, y, w, OP_LANE_H,
				s->begin_ns / 1e6, s->end_ns / 1e6, s->result ? " (gave up)" : "");
			if (w > 70)
				text(c->f, x + 4, y + OP_LANE_H - 6, "font-size=\"10\"",
				     "builds held");
		} else if (s->kind == LAB_SPAN_UPDATE) {
			fprintf(c->f, "<rect class=\"update\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"3\" fill=\"#424242\"><title>tdxup update: %.3f to %.3f "
				"ms</title></rect>\n", x, y + OP_LANE_H - 3, w, s->begin_ns / 1e6,
				s->end_ns / 1e6);
		}
	}
	attempts(c, r->res, y);
	fputs("</g>\n", c->f);
}

/* ---- axis, panels, legend --------------------------------------------------- */

/*
 * 1, 2 or 5 times a power of ten, at most about ten ticks over the axis,
 * and the decimals its labels need (loops: the lab does not link libm).
 */
static double tick_step_ms(double span_ms, int *decimals)
{
	static const double mult[] = { 1, 2, 5 };
	double raw = span_ms / 10, mag = 1e-6;

	*decimals = 6;
	while (mag * 10 <= raw) {
		mag *= 10;
		if (*decimals)
			(*decimals)--;
	}
	for (size_t i = 0; i < 3; i++)
		if (mag * mult[i] >= raw)
			return mag * mult[i];
	if (*decimals)
		(*decimals)--;
	return mag * 10;
}

static void axis(const struct canvas *c, const struct lab_config *cfg, double y_top, double y)
{
	double span_ms = c->t_max_ns / 1e6, step;
	int decimals;
	char label[32];

	step = tick_step_ms(span_ms, &decimals);

	fprintf(c->f, "<g class=\"axis\">\n<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		"stroke=\"#212121\"/>\n", LEFT, y, LEFT + PLOT_W, y);
	for (unsigned int i = 0; i * step <= span_ms + 1e-9; i++) {
		double x = LEFT + i * step * PLOT_W / span_ms;

		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
			"stroke=\"#e0e0e0\" stroke-width=\"0.6\"/>\n", x, y_top, x, y);
		fprintf(c->f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
			"stroke=\"#212121\"/>\n", x, y, x, y + 4);
		snprintf(label, sizeof(label), "%.*f", decimals, i * step);
		text(c->f, x, y + 15, "text-anchor=\"middle\" class=\"tick\"", label);
	}
	text(c->f, LEFT + PLOT_W, y + 28, "text-anchor=\"end\"",
	     cfg->driver == LOCKSTEP_SERIAL ? "time (ms, virtual)" : "time (ms, wall clock)");
	fputs("</g>\n", c->f);
}

static void panel_head(const struct canvas *c, const struct lab_svg_run *r, double y)
{
	const struct lab_result *res = r->res;
	char s[400];

	snprintf(s, sizeof(s), "%s%sprofile %s, policy %s: %s (%s); %u update(s) applied, "
		 "%u busy rejection(s), %u wrong MRTD(s), %u failed build(s)%s",
		 r->label ? r->label : "", r->label ? ": " : "", kernel_profile_name(r->cfg->profile),
		 lab_policy_name(r->cfg), res->pass ? "PASS" : "FAIL", res->verdict_reason,
		 res->updates_applied, res->busy_rejections, res->wrong_mrtds, res->failed_builds,
		 res->rec.incomplete ? " [record incomplete: out of memory]" : "");
	text(c->f, LEFT, y + 15, "font-weight=\"bold\"", s);
}

static int panel(const struct canvas *c, unsigned int idx, const struct lab_svg_run *r,
		 double y)
{
	unsigned int cpus = r->cfg->cpus;
	double *levels, lanes_top, cpu_top;
	int err = heat_strips(c, r, &levels);

	if (err)
		return err;
	fprintf(c->f, "<g class=\"panel\" id=\"p%u\">\n", idx);
	panel_head(c, r, y);
	lanes_top = y + PANEL_HEAD;
	operator_lane(c, idx, r, lanes_top);
	cpu_top = lanes_top + OP_LANE_H + LANE_GAP;
	for (unsigned int cpu = 0; cpu < cpus; cpu++)
		cpu_lane(c, idx, cpu, levels + (size_t)cpu * (PLOT_W / BIN_PX),
			 cpu_top + cpu * (LANE_H + LANE_GAP));
	for (unsigned int td = 0; td < r->res->nr_tds; td++)
		td_lane(c, idx, r, td, cpu_top + (cpus + td) * (LANE_H + LANE_GAP));
	stw_spans(c, r, cpu_top, cpus * (LANE_H + LANE_GAP) - LANE_GAP);
	axis(c, r->cfg, lanes_top, cpu_top + (cpus + r->res->nr_tds) * (LANE_H + LANE_GAP));
	fputs("</g>\n", c->f);
	free(levels);
	return 0;
}

/* Returns where the next one goes: about 6 px a character at this size. */
static double swatch(FILE *f, double x, double y, const char *fill, const char *opacity,
		     const char *label)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\" "
		"fill-opacity=\"%s\"/>\n", x, y - 9, fill, opacity);
	text(f, x + 18, y, "", label);
	return x + 36 + 6.0 * strlen(label);
}

static void legend(FILE *f, double y)
{
	static const struct { const char *fill, *opacity, *label; } row1[] = {
		{ C_BUILD_OK, "1", "build window, MRTD ok" },
		{ C_BUILD_WRONG, "1", "build window, wrong MRTD" },
		{ C_BUILD_FAILED, "1", "build failed" },
		{ C_WAIT, "1", "waiting for the build lease" },
		{ C_RUN, "1", "KVM_RUN step" },
		{ C_HEAT, "0.6", "SEAMCALL time per CPU (darker: busier)" },
	}, row2[] = {
		{ C_STW_OK, "0.45", "stop-the-world: update" },
		{ C_STW_BUSY, "0.45", "stop-the-world: refused" },
		{ C_STW_FAILED, "0.45", "stop-the-world: failed" },
		{ C_HOLD, "0.55", "TD builds held" },
	};
	static const char *const marks[] = { "updated", "device-busy", "failed" };
	double x = LEFT;

	fputs("<g class=\"legend\" font-size=\"10.5\">\n", f);
	for (size_t i = 0; i < sizeof(row1) / sizeof(row1[0]); i++)
		x = swatch(f, x, y + 14, row1[i].fill, row1[i].opacity, row1[i].label);
	x = LEFT;
	for (size_t i = 0; i < sizeof(row2) / sizeof(row2[0]); i++)
		x = swatch(f, x, y + 34, row2[i].fill, row2[i].opacity, row2[i].label);
	for (size_t i = 0; i < 3; i++) {
		marker_shape(f, marks[i], x + 7, y + 30);
		text(f, x + 18, y + 34, "", marks[i]);
		x += 36 + 6.0 * strlen(marks[i]);
	}
	text(f, LEFT, y + 52, "fill=\"#616161\"",
	     "operator lane: one marker per update attempt, at the start of its upload; "
	     "the bar below: the `tdxup update` run");
	fputs("</g>\n", f);
}

/* The title names what the runs share; each panel's head what it does not. */
static void titles(FILE *f, const struct lab_svg_run *runs, unsigned int n, char *title,
		   size_t len)
{
	const struct lab_config *cfg = runs[0].cfg;
	const struct lab_result *res = runs[0].res;
	char sub[300];

	if (n == 1)
		snprintf(title, len, "tdxup lab: %s, profile %s, policy %s, seed %llu: %s",
			 cfg->name, kernel_profile_name(cfg->profile), lab_policy_name(cfg),
			 (unsigned long long)cfg->seed, res->pass ? "PASS" : "FAIL");
	else
		snprintf(title, len, "tdxup lab --compare: %s, seed %llu, %u runs", cfg->name,
			 (unsigned long long)cfg->seed, n);
	snprintf(sub, sizeof(sub), "%u CPUs in %u packages, module %s -> %s, %u running TD(s), "
		 "%u builder(s) of %u pages, %s driver%s", cfg->cpus, cfg->packages, cfg->from,
		 cfg->to, cfg->running, cfg->builders, cfg->pages,
		 cfg->driver == LOCKSTEP_SERIAL ? "serial" : "threads",
		 cfg->vmm_leases ? ", VMMs take build leases" : "");
	fputs("<title>", f);
	esc(f, title);
	fputs("</title>\n", f);
	text(f, LEFT, 22, "font-size=\"15\" font-weight=\"bold\" class=\"title\"", title);
	text(f, LEFT, 40, "fill=\"#616161\"", sub);
}

int lab_svg_print(FILE *f, const struct lab_svg_run *runs, unsigned int n)
{
	struct canvas c = { .f = f, .t_max_ns = 1 };
	unsigned int height = TITLE_H + LEGEND_H;
	double y = TITLE_H;
	char title[300];
	int err = 0;

	if (!n)
		return -EINVAL;

	for (unsigned int i = 0; i < n; i++) {
		double end = (double)runs[i].res->end_us * 1000;

		if (end > c.t_max_ns)
			c.t_max_ns = end;
		height += run_height(&runs[i]);
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
		"viewBox=\"0 0 %d %u\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
		"font-size=\"11\" fill=\"#212121\">\n", WIDTH, height, WIDTH, height);
	fprintf(f, "<rect width=\"%d\" height=\"%u\" fill=\"#ffffff\"/>\n", WIDTH, height);
	titles(f, runs, n, title, sizeof(title));
	for (unsigned int i = 0; i < n && !err; i++) {
		err = panel(&c, i, &runs[i], y);
		y += run_height(&runs[i]);
	}
	legend(f, y);
	fputs("</svg>\n", f);
	return err;
}

/* Built in memory, then replaced in one rename: a reader never sees half a picture. */
int lab_svg_write(const char *path, const struct lab_svg_run *runs, unsigned int n,
		  struct fsafe_err *fe)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	snprintf(fe->msg, sizeof(fe->msg), "%s: out of memory", path);
	if (!f)
		return -errno;
	err = lab_svg_print(f, runs, n);
	if (fclose(f) && !err)
		err = -ENOMEM;
	/* Never through a symlink, never half a picture (fsafe_write_output). */
	if (!err)
		err = fsafe_write_output(path, buf, len, 0644, fe);
	free(buf);
	return err;
}
