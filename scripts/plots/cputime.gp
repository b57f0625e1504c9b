# cputime.gp: CPU time against wall time for every case: waiting leaves CPU time far below wall time, computing on k cores puts it at k times wall time.
# Variables: datadir outdir name backends workloads cores.
load 'common.gp'
file = datadir.'/cputime.dat'

set title "CPU time against wall time, every case".(cores > 0 ? sprintf(" (%d cores)", cores) : "")."\ncolour = backend, shape = workload\non a line: one or all cores busy all along; far below: mostly waiting" noenhanced
set xlabel 'wall time, median (s, log scale)'
set ylabel 'CPU time, user + system (s, log scale)'
stats file using 1 nooutput
xlo = STATS_min; xhi = STATS_max
stats file using 2 nooutput
ylo = STATS_min; yhi = STATS_max
set logscale xy
set format x '%g'
set format y '%g'
set xrange [xlo / 2 : xhi * 2]
set yrange [ylo / 2 : yhi * 2]
eval logtics('x', xhi / xlo)
eval logtics('y', yhi / ylo)
# Nine entries or more: a column of its own on the right.
set key default
set key outside right top vertical Left reverse box noenhanced spacing 1.15 width 0
unset bmargin
wpt(k) = word('7 5 9 13 11 15 3 1 2', 1 + (int(k) - 1) % 9) + 0

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2:(wpt($5)) with points pt variable ps 1.6 \
         lc rgb bcolor(word(backends, i)) notitle, \
       x with lines dt 2 lw 1.5 lc rgb '#000000' title 'one core busy', \
       for [k=1:(cores > 1)] cores * x with lines dt 3 lw 2 lc rgb '#000000' title sprintf('all cores busy (%d)', cores), \
       for [i=1:words(backends)] NaN with points pt 7 ps 1.6 lc rgb bcolor(word(backends, i)) title word(backends, i), \
       for [k=1:words(workloads)] NaN with points pt wpt(k) ps 1.6 lc rgb '#000000' title word(workloads, k)
  set output
}
