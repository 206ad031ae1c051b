# Clustered bar chart of the results of bench/run.sh.
#   gnuplot -e "datadir='DIR'; outfile='chart.png'" bench/chart.gp
# DIR holds rates.dat and xfer.dat (written by bench/report.pl): one row
# per workload, one column per server, "-" where a server cannot do it.
set terminal pngcairo size 1400,680 font "sans,10" noenhanced
set output outfile
set datafile separator "\t"
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics mytics
set xtics nomirror
set tics font ",9"
# nine servers: a ninth colour of its own (the default cycle has eight)
set linetype 9 lc rgb "#8c564b"
set linetype cycle 9
set multiplot title "cgid and its peers: medians of all rounds, one machine, 127.0.0.1"
# one key for both plots, under the title
set key at screen 0.5, screen 0.935 center top horizontal maxcols 5 font ",9" samplen 2 width 1

set size 0.64,0.80
set origin 0,0
set title "Requests per second (log scale; no bar: no keep-alive)"
set logscale y
plot for [i=2:10] datadir."/rates.dat" using i:xtic(1) title columnheader(i)

set size 0.36,0.80
set origin 0.64,0
set title "MB/s through a CGI program"
unset logscale y
set yrange [0:*]
unset key
plot for [i=2:10] datadir."/xfer.dat" using i:xtic(1) title columnheader(i)
unset multiplot
