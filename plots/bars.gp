# bars.gp - clustered bars, one cluster per row (threads), one bar per series
# (allocator), median with 95% CI whiskers; one panel per block.
# Variables as vs_threads.gp.
load dir."/common.gp"
nseries = words(series)
set xlabel xlabel
set ylabel ylabel
set yrange [0:*]
if (siformat) { set format y "%.1s%c" }
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set key top left
set multiplot layout rows,cols title title."\n".subtitle
do for [p = 1:npanels] {
	set title (word(panels, p) eq "all") ? "" : word(panels, p)
	plot for [s = 1:nseries] datafile index (p - 1) \
		using (column(3*s - 1)):(column(3*s)):(column(3*s + 1)):xtic(1) title word(series, s)
}
unset multiplot
