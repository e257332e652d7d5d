# SPDX-License-Identifier: MIT
# The contention benchmark's TSV (build/bench/contention SEEDS FILE) as two
# SVG plots: success and p99 time to update against build occupancy, one
# line per kernel profile and operator policy. bench/plot-contention runs it:
#   gnuplot -e "tsv='FILE'; outdir='DIR'" bench/contention.gp
# Colour says the policy, the dash the kernel; a cell without a successful
# run has no p99 ("nan" in the TSV): its point is left out.

if (!exists("tsv") || !exists("outdir")) {
	print "contention.gp: set tsv='FILE' and outdir='DIR' with -e"
	exit status 2
}

set datafile separator "\t"
# Rows of other lines evaluate to NaN: missing, so that each line joins its own points.
set datafile missing NaN
set terminal svg size 720,440 dynamic enhanced font "DejaVu Sans,12" background "#ffffff"
set key outside right top box opaque
set grid lc rgb "#dddddd"
set border lc rgb "#444444"
set xlabel "build occupancy (fraction of time a TD build is in flight)"
set xrange [0.45:1.01]
set xtics ("0.5" 0.5, "0.6" 0.6, "0.7" 0.7, "0.8" 0.8, "0.9" 0.9, "0.99" 0.99)

profiles = "v8 mainline"
policies = "oneshot retry hold"
colour(i) = i == 1 ? "#e65100" : i == 2 ? "#1565c0" : "#2e7d32"
# The value in column col on the rows of profile p and policy q.
pick(col, p, q) = (strcol(2) eq word(profiles, p) && strcol(3) eq word(policies, q)) ? \
	column(col) : NaN

set output outdir."/contention-success.svg"
set title "Update success within 60 s against TD build churn"
set ylabel "success (fraction of seeds)"
set yrange [-0.03:1.05]
plot for [p = 1:2] for [q = 1:3] tsv using 1:(pick(4, p, q)) every ::1 \
	with linespoints lw 2 pt (p == 1 ? 7 : 4) ps 1.1 dt p lc rgb colour(q) \
	title word(profiles, p)." ".word(policies, q)

set output outdir."/contention-p99.svg"
set title "p99 time to update (successful runs) against TD build churn"
set ylabel "p99 time to update (ms, log scale)"
set logscale y
set yrange [*:*]
set format y "%g"
plot for [p = 1:2] for [q = 1:3] tsv using 1:(pick(6, p, q)) every ::1 \
	with linespoints lw 2 pt (p == 1 ? 7 : 4) ps 1.1 dt p lc rgb colour(q) \
	title word(profiles, p)." ".word(policies, q)
unset output
