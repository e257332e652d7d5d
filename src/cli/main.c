/* SPDX-License-Identifier: MIT */
#include <stdio.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "tdxup: under construction\n");
	return 2;
}
