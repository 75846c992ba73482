/*
 * floor.c - the floor of a one-query process: start, open and map an
 * index file, touch its first BYTES (default 1 MiB: the header and the
 * metadata a query reads first), exit.  Linked with libc only.
 *
 *	cc -O2 -o floor scripts/bench/floor.c
 *	hyperfine -N './floor IDX' 'esctl search NAME --vector V'
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	const volatile unsigned char *p;
	struct stat st;
	size_t n, i;
	unsigned s = 0;
	int fd;

	if (argc < 2 || (fd = open(argv[1], O_RDONLY)) == -1 ||
	    fstat(fd, &st) == -1)
		return 2;
	n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1u << 20;
	if (n > (size_t)st.st_size)
		n = (size_t)st.st_size;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	for (i = 0; i < n; i += 4096)
		s += p[i];
	printf("%u\n", s);
	return 0;
}
