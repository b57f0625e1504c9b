# memory.gp: peak memory against concurrency for one workload, a line per backend.
# Variables: datadir outdir name backends what tasks reps params concs ylo yhi (MiB).
# A log y axis: fork's processes would squash the others' lines on a linear one.
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": peak memory against concurrency (lower is better)\n".runs(tasks, reps, ', whole process tree, median of %d run')."\n".params noenhanced
set xlabel 'concurrency (tasks in flight at once, log scale)'
set ylabel 'peak memory (MiB, log scale; PSS for forked workers)'
set logscale xy
set format y '%g'
set yrange [ylo / 1.5 : yhi * 1.5]
eval logtics('y', yhi / ylo)
set xtics ()
do for [c in concs] { set xtics add (c c+0) }
set xrange [(word(concs, 1)+0) / 1.5 : (word(concs, words(concs))+0) * 1.5]

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2 with linespoints lw blw(word(backends, i)) dt bdt(word(backends, i)) ps 1.3 \
         pt bpt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i)
  set output
}
