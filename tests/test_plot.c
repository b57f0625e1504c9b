/* test_plot.c: (being written) */
int main(void) { return 0; }
