/*
 * test_two_patterns: the ttl and sb builds of the allocator linked into one
 * executable (each relocatable-linked with only its suffixed names global).
 * Both run at once, each with its own caches and zones; objects do not mix.
 */
#include <stdio.h>
#include <stdlib.h>

void two_init_ttl(void), two_alloc_ttl(unsigned char), two_free_ttl(unsigned char), two_exit_ttl(void);
void two_init_sb(void), two_alloc_sb(unsigned char), two_free_sb(unsigned char), two_exit_sb(void);
void *two_object_ttl(int), *two_object_sb(int);

int main(void)
{
	two_init_ttl();
	two_init_sb();
	two_alloc_ttl(0x11);
	two_alloc_sb(0x22);
	for (int i = 0; i < 1000; i++)
		if (two_object_ttl(i) == two_object_sb(i)) {
			fprintf(stderr, "both builds handed out %p\n", two_object_ttl(i));
			return 1;
		}
	two_free_ttl(0x11);
	two_free_sb(0x22);
	two_exit_sb();
	two_exit_ttl();
	printf("ok\n");
	return 0;
}
