# throughput.gp: tasks per second against concurrency for one workload, a line per backend.
# Variables: datadir outdir name backends what tasks reps params concs.
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": throughput against concurrency (higher is better)\n".runs(tasks, reps, ' / median wall time of %d run').", bars at the max and min wall time\n".params noenhanced
set xlabel 'concurrency (tasks in flight at once, log scale)'
set ylabel 'throughput (tasks/s)'
set logscale x
set yrange [0:*]
set xtics ()
do for [c in concs] { set xtics add (c c+0) }
set xrange [(word(concs, 1)+0) / 1.5 : (word(concs, words(concs))+0) * 1.5]

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2:3:4 with yerrorlines lw blw(word(backends, i)) dt bdt(word(backends, i)) ps 1.3 \
         pt bpt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i)
  set output
}
