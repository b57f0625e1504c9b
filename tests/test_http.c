/* test_http.c: (being written) */
int main(void) { return 0; }
