# load.gp: p99 latency against the offered rate (open loop), a line per backend: the hockey stick.
# Filled marks at the offered rate; open marks at the rate achieved, so a backend that fell behind
# shows its open mark left of the filled one. Variables: datadir outdir name backends what params.
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": p99 latency against the offered load (lower is better)\nfilled: offered rate; open: achieved rate\n".params noenhanced
set xlabel 'offered rate (requests/s, log scale)'
set ylabel 'p99 latency (ms, log scale)'
set logscale xy
set key top left

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2 with linespoints lw blw(word(backends, i)) dt bdt(word(backends, i)) ps 1.3 \
         pt bpt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i), \
       for [i=1:words(backends)] file index (i-1) using 3:2 with points ps 1.6 pt 6 lc rgb bcolor(word(backends, i)) notitle
  set output
}
