/* test_io.c: (being written) */
int main(void) { return 0; }
