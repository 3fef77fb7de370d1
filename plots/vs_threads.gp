# vs_threads.gp - one metric against the row parameter (threads), one line per
# series (pattern) with its median and 95% bootstrap CI as error bars, one
# panel per block (lock kind, ...).
# Variables (gnuplot -e): datafile outfile term title subtitle xlabel ylabel series
# panels npanels logy siformat.  datafile: one index per panel; columns: label, then
# median lo hi for each series in `series` order.
load dir."/common.gp"
nseries = words(series)
set xlabel xlabel
set ylabel ylabel
if (logy) { set logscale y } else { set yrange [0:*] }
if (siformat) { set format y "%.1s%c" }
set offsets 0.3, 0.3 + 0.05 * nseries, 0, 0
set multiplot layout rows,cols title title."\n".subtitle
do for [p = 1:npanels] {
	set title (word(panels, p) eq "all") ? "" : word(panels, p)
	# the first series carries the x tic labels, the others sit slightly right of it
	if (nseries == 1) {
		plot datafile index (p - 1) using 0:2:3:4:xtic(1) \
			with yerrorlines lw 1.5 pt 7 ps 0.6 title word(series, 1)
	} else {
		plot datafile index (p - 1) using 0:2:3:4:xtic(1) \
			with yerrorlines lw 1.5 pt 7 ps 0.6 title word(series, 1), \
		     for [s = 2:nseries] datafile index (p - 1) \
			using ($0 + (s - 1) * 0.05):(column(3*s - 1)):(column(3*s)):(column(3*s + 1)) \
			with yerrorlines lw 1.5 pt 7 ps 0.6 title word(series, s)
	}
}
unset multiplot
