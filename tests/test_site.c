/* test_site.c: (being written) */
int main(void) { return 0; }
