# common.gp: what every concbench plot shares: one colour and point shape per backend, the two terminals, the look.
# Loaded by the other scripts (concbench puts this directory in GNUPLOT_LIB). They are called as
#   gnuplot -e "datadir='...'; outdir='...'; name='...'; ..." SCRIPT.gp
# and write outdir/name.png and outdir/name.svg from the data files in datadir.

set encoding utf8
set datafile missing 'NaN'

# One colour and one point shape per backend in every plot, by its place in the run's list of
# backends (allbackends): with the default order, sync grey, threads blue, fork orange, uv green,
# uv-offload purple. Whatever a backend is called, it looks the same in every plot of a run.
bidx(b) = words(substr(' '.allbackends.' ', 1, strstrt(' '.allbackends.' ', ' '.b.' ')))
bcolor(b) = word('#404040 #1f77b4 #ff7f0e #2ca02c #9467bd #8c564b #e377c2 #17becf #bcbd22', 1 + bidx(b) % 9)
# And a point shape, so lines that overlap can still be told apart.
bpt(b) = word('7 5 9 13 11 15 4 6 8', 1 + bidx(b) % 9) + 0
# And a dash type and a width, so a line drawn over another (uv-offload over uv where they agree)
# leaves the one under it in sight: the later ones thinner and dashed.
bdt(b) = word('1 1 1 1 2 4 5 3 6', 1 + bidx(b) % 9) + 0
blw(b) = 3.2 - 0.4 * (bidx(b) % 5)

# eval termcmd(fmt) before each output: PNG to look at, SVG for documents; same size and font.
termcmd(fmt) = fmt eq 'png' ? \
  'set terminal pngcairo size 900,600 font "sans,11" enhanced' : \
  'set terminal svg size 900,600 dynamic enhanced font "sans,11" background "white"'

# "100 tasks, median of 3 runs": the parts the cases share (tasks or reps are 0 when they differ).
runs(tasks, reps, how) = (tasks > 0 ? sprintf('%d tasks', tasks) : 'tasks differ').(reps > 0 ? sprintf(how, reps).(reps == 1 ? '' : 's') : '')

# A log axis over a short range gets more than the powers of ten labelled: 2 and 5 when it
# spans less than 300x, 3 too under 20x: eval logtics('y', hi / lo).
logtics(ax, span) = span >= 300 ? '' : \
  sprintf('do for [e=-12:12] { set %stics add (2*10.0**e, 5*10.0**e%s) }', ax, span < 20 ? ', 3*10.0**e' : '')

# Names from the results (delay_ms, backend names) are shown as they are, not as subscripts.
set key noenhanced
set xtics noenhanced
# The legend under the graph, in at most two rows, clear of the x label.
set key at screen 0.5, screen 0.012 center bottom horizontal Left reverse nobox maxrows 2 width 2 samplen 3
set bmargin 7
set grid xtics ytics back lt 1 lc rgb '#d0d0d0' lw 1
set border 3 lw 1.2
set tics nomirror out
set tmargin 5.5
