/* test_crawl.c: (being written) */
int main(void) { return 0; }
