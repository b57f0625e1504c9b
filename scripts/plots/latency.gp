# latency.gp: the task latency by percentile, as HdrHistogram plots it: x = 1/(1-p) on a log axis, so the tail gets room.
# Variables: datadir outdir name backends what tasks reps params conc xmax logy.
load 'common.gp'
file = datadir.'/'.name.'.dat'

set title what.": task latency by percentile at concurrency ".conc." (lower is better)\nevery task of ".runs(tasks, reps, ' x %d run')."; the line ends at the max\n".params noenhanced
set xlabel 'percentile: this share of tasks took at most this long (log scale of 1/(1-p))'
set ylabel 'task latency (ms'.(logy ? ', log scale)' : ')')
set logscale x
if (logy) { set logscale y; set format y '%g' } else { set yrange [0:*] }
set xrange [1:xmax]
set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 1e4, '99.999%%' 1e5, \
           '99.9999%%' 1e6, '99.99999%%' 1e7, '99.999999%%' 1e8, '99.9999999%%' 1e9)

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 2:3 with lines lw 2 \
         lc rgb bcolor(word(backends, i)) title word(backends, i)
  set output
}
