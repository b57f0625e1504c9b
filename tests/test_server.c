/* test_server.c: (being written) */
int main(void) { return 0; }
