# crossover.gp: a workload swept along its axis (mixed's io_fraction): speedup over the baseline against the axis, a line per backend.
# Variables: datadir outdir name allbackends baseline backends sub logy workload axis datafile.
load 'common.gp'
file = datadir.'/'.datafile

set title workload.": speedup over ".baseline." against ".axis." (higher is better)\n".sub noenhanced
set xlabel axis.(axis eq 'io_fraction' ? ': share of each task spent waiting (0 = all computing, 1 = all waiting)' : '') noenhanced
set ylabel 'speedup over '.baseline.' (times faster'.(logy ? ', log scale)' : ')')
set xrange [-0.03:1.03]
set xtics 0.1
if (logy) { set logscale y } else { set yrange [0:*] }
set format y '%g×'

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2 with linespoints lw blw(word(backends, i)) dt bdt(word(backends, i)) ps 1.3 \
         pt bpt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i), \
       1 with lines dt 2 lw 1.5 lc rgb '#000000' title '1× = as fast as '.baseline
  set output
}
