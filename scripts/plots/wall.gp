# wall.gp: wall time against concurrency for one workload: a line per backend (median, bars from min to max), its ideal dashed.
# Variables: datadir outdir name backends what tasks reps params concs hasideal ylo yhi.
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": wall time against concurrency (lower is better)\n".runs(tasks, reps, ', median of %d run').", bars from min to max\n".params noenhanced
set xlabel 'concurrency (tasks in flight at once, log scale)'
set ylabel 'wall time for all tasks (s, log scale)'
set logscale xy
set format y '%g'
set xtics ()
do for [c in concs] { set xtics add (c c+0) }
set xrange [(word(concs, 1)+0) / 1.5 : (word(concs, words(concs))+0) * 1.5]
set yrange [ylo / 1.5 : yhi * 1.5]
eval logtics('y', yhi / ylo)

# Each backend's ideal, dashed in its colour, when the workload has one (an empty plot would warn).
IDEAL = !hasideal ? '' : ', for [i=1:words(backends)] file index (i-1) using 1:5 with lines dt 2 lw 1.5 lc rgb bcolor(word(backends, i)) notitle, NaN with lines dt 2 lw 1.5 lc rgb "#000000" title "ideal (lower bound)"'

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2:3:4 with yerrorlines lw blw(word(backends, i)) dt bdt(word(backends, i)) ps 1.3 \
         pt bpt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i) \
       @IDEAL
  set output
}
