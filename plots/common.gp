# common.gp - terminal and layout shared by the sheafbench plot templates.
# Set by `sheafbench plot` (gnuplot -e): term ("png" or "svg"), outfile,
# npanels.  Lays the panels out two per row and sizes the image to fit.
cols = (npanels > 1) ? 2 : 1
rows = int((npanels + cols - 1) / cols)
width = (cols > 1) ? 1120 : 800    # one panel: room for the subtitle
height = 380 * rows + 40
if (term eq "svg") {
	set terminal svg size width,height dynamic noenhanced font "sans,11"
} else {
	# pngcairo draws nicer text, but gnuplot-nox may lack it; libgd png is always there
	if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
		set terminal pngcairo size width,height noenhanced font "sans,10"
	} else {
		set terminal png size width,height noenhanced
	}
}
set output outfile
set termoption noenhanced
set grid ytics lc rgb "#dddddd"
set key top right box opaque
set datafile missing "NaN"
