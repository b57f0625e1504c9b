# speedup.gp: the headline: how many times faster than the baseline (sync) each backend ran each workload, as grouped bars.
# Variables: datadir outdir name allbackends baseline backends ngroups logy ylo yhi anyabove anybelow (a bar at or above,
# below 1× on the log axis).
load 'common.gp'
file = datadir.'/speedup.dat'
groups = datadir.'/speedup_groups.dat'

# Two short lines that fit the 900-pixel canvas (a longer one was cut off at its right edge).
set title "Speedup over ".baseline." per workload (higher is better)\n".baseline."'s median time / the backend's (throughputs if tasks differ), at the highest c; whiskers: 95% CI" noenhanced
set tmargin 5
set ylabel 'speedup over '.baseline.' (times faster'.(logy ? ', log scale)' : ')')
if (logy) { set logscale y }
set format y '%g×'
set xrange [-0.6 : ngroups - 0.4]
xtfont = ngroups > 6 ? ',9' : ',11'
# Many bars: their labels turn upright, so they do not run into each other.
crowded = ngroups * words(backends) > 12
labfont = crowded ? ',9' : ',10'
uprot = crowded ? 'rotate by 90 left' : 'norotate center'
downrot = crowded ? 'rotate by 90 right' : 'norotate center'
# Upright labels need more room above the tallest bar.
set yrange [ylo : (crowded ? (logy ? yhi * 1.6 : yhi * 1.1) : yhi)]
set xtics scale 0 font xtfont
set grid noxtics ytics
set style fill solid 0.9 border lc rgb '#202020'
# Bars grow from 1× on a log axis (faster up, slower down), from 0 on a linear one.
base = logy ? 1 : 0
lab(v) = v >= 9.95 ? sprintf('%.0f×', v) : v >= 0.095 ? sprintf('%.1f×', v) : sprintf('%.2g×', v)
above(v) = (!logy || v >= 1) ? v : NaN
below(v) = (logy && v < 1) ? v : NaN
# The value labels, over every block at once: above the bars, and under those below 1× on a
# log axis, each only when there are some (an empty plot would warn).
# Labels sit above the interval's top when there is one, so the whisker does not run through them.
top(v, h) = h == h && h > v ? h : v
ABOVE = anyabove ? 'file using 1:(above($2) == above($2) ? top($2, $10) : NaN):(lab($2)) with labels '.uprot.' offset 0, 0.7 font labfont notitle,' : ''
BELOW = anybelow ? 'file using 1:(below($2)):(lab($2)) with labels '.downrot.' offset 0, -0.7 font labfont notitle,' : ''
xlab(w, v, c) = w."\n".(strlen(v) > 0 ? v."\n" : "").c

do for [fmt in 'png svg'] {
  eval termcmd(fmt)
  set output outdir.'/'.name.'.'.fmt
  plot for [i=1:words(backends)] file index (i-1) using 1:2:($1-$3):($1+$3):(base):2 with boxxyerror \
         lc rgb bcolor(word(backends, i)) title word(backends, i), \
       for [i=1:words(backends)] file index (i-1) using 1:2:9:10 with yerrorbars pt 7 ps 0 lw 1.2 lc rgb '#202020' notitle, \
       @ABOVE @BELOW \
       1 with lines dt 2 lw 1.5 lc rgb '#000000' title '1× = as fast as '.baseline, \
       groups using 1:(1):xtic(xlab(strcol(2), strcol(3), strcol(4))) with points ps 0 notitle
  set output
}
