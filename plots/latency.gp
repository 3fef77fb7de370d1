# latency.gp - wait-latency percentiles (p50 ... p999) per series, log scale,
# one panel per block, at the block's largest thread count (in the panel name).
# Variables as vs_threads.gp; datafile rows are labelled p50, p90, p99, p999.
load dir."/common.gp"
nseries = words(series)
set xlabel xlabel
set ylabel ylabel
set logscale y
set offsets 0.3, 0.3 + 0.05 * nseries, 0, 0
set key top left
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
