# latency.gp: what each task's result cost in time, by percentile, as HdrHistogram plots it: x = 1/(1-p) on a log axis, so the tail gets room.
# Variables: datadir outdir name backends what tasks reps params conc xmax logy mode.
# mode 0 (closed loop): thick, the time from the run's start to each result (what a user waiting for
# the results sees: one task at a time makes the last result late); thin dotted, each task's own
# service time. mode 1 (open loop): the latency from each task's scheduled start, and its service
# time. mode 2 (files without completion times): the service time alone.
# The data file holds two blocks per backend: the thick line's, then the thin one's.
load 'common.gp'
file = datadir.'/'.name.'.dat'

main = mode == 0 ? "time from the run's start to each result" : mode == 1 ? "latency from each task's scheduled start (open loop)" : "service time of each task, start to end"
beside = mode == 0 ? "thin dotted: each task's own service time" : mode == 1 ? "thin dotted: each task's service time from its actual start" : ""
set title what.": ".main." at c=".conc." (lower is better)\n".(strlen(beside) ? beside."; " : "")."every task of ".runs(tasks, reps, ' x %d run')."; lines end at the max\n".params noenhanced
set xlabel 'percentile: this share of tasks had its result within this time (log scale of 1/(1-p))'
set ylabel (mode == 0 ? "since the run's start (ms" : "ms").(logy ? ', log scale)' : ')') noenhanced
set logscale x
if (logy) { set logscale y; set format y '%g' } else { set yrange [0:*] }
set xrange [1:xmax]
set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 1e4, '99.999%%' 1e5, \
           '99.9999%%' 1e6, '99.99999%%' 1e7, '99.999999%%' 1e8, '99.9999999%%' 1e9)

BESIDE = mode == 2 ? '' : ', for [i=1:words(backends)] file index (2*i-1) using 2:3 with lines lw 1.2 dt 3 lc rgb bcolor(word(backends, i)) notitle, NaN with lines lw 1.2 dt 3 lc rgb "#000000" title "service time"'

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (2*i-2) using 2:3 with lines lw blw(word(backends, i)) \
         dt bdt(word(backends, i)) lc rgb bcolor(word(backends, i)) title word(backends, i) \
       @BESIDE
  set output
}
