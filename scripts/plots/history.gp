# history.gp: one workload's cases across the runs of a history: each case's median wall time, its 95% interval as a band, and the change points found (E-Divisive) marked.
# Variables: datadir outdir name what series nruns. The data file has two blocks per case: its
# points (x, median, lo, hi, run label), then its change points (x, median).
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": median wall time across runs (lower is better)\nbands: the median's 95% interval; triangles: change points (E-Divisive means)" noenhanced
set xlabel 'run, oldest first (its label)'
set ylabel 'median wall time (s)'
set xtics rotate by -45 font ',8'
set xrange [0.5 : nruns + 0.5]
set format y '%g'
pal = '#1f77b4 #ff7f0e #2ca02c #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #404040'
col(i) = word(pal, 1 + (i - 1) % 10)

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(series)] file index (2*i-2) using 1:3:4 with filledcurves fs transparent solid 0.15 noborder lc rgb col(i) notitle, \
       for [i=1:words(series)] file index (2*i-2) using 1:2:xtic(5) with linespoints lw 2 pt 7 ps 0.8 lc rgb col(i) title word(series, i), \
       for [i=1:words(series)] file index (2*i-1) using 1:2 with points pt 9 ps 2.4 lc rgb '#d62728' notitle, \
       NaN with points pt 9 ps 2.4 lc rgb '#d62728' title 'change point'
  set output
}
