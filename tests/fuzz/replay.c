/* Replay a saved fuzzing corpus as an ordinary test: run the fuzz target once on every file of
 * the given directories (or files). Built with the normal compiler, under ASan+UBSan in the
 * sanitizer build, so CI catches regressions without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
   FILE *f = fopen(path, "rb");
   uint8_t *data = NULL;
   long n;

   if (!f) {
      perror(path);
      return -1;
   }
   if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
      perror(path);
      fclose(f);
      return -1;
   }
   data = malloc((size_t) n + 1);
   if (!data || fread(data, 1, (size_t) n, f) != (size_t) n) {
      fprintf(stderr, "%s: cannot read\n", path);
      free(data);
      fclose(f);
      return -1;
   }
   fclose(f);
   /* an exact-size copy, so that ASan sees any read past the input */
   {
      uint8_t *exact = malloc(n ? (size_t) n : 1);
      if (!exact) {
         free(data);
         return -1;
      }
      memcpy(exact, data, (size_t) n);
      free(data);
      LLVMFuzzerTestOneInput(exact, (size_t) n);
      free(exact);
   }
   return 0;
}

static int cmp_names(const void *a, const void *b)
{
   return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_dir(const char *dir, int *count)
{
   DIR *d = opendir(dir);
   struct dirent *e;
   char **names = NULL;
   size_t n = 0, cap = 0;
   int rc = 0;

   if (!d) {
      perror(dir);
      return -1;
   }
   while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') {
         continue;
      }
      if (n == cap) {
         char **p;
         cap = cap ? cap * 2 : 64;
         p = realloc(names, cap * sizeof *names);
         if (!p) {
            rc = -1;
            break;
         }
         names = p;
      }
      {
         size_t len = strlen(dir) + strlen(e->d_name) + 2;
         names[n] = malloc(len);
         if (!names[n]) {
            rc = -1;
            break;
         }
         snprintf(names[n], len, "%s/%s", dir, e->d_name);
      }
      n++;
   }
   closedir(d);
   qsort(names, n, sizeof *names, cmp_names);
   for (size_t i = 0; i < n; i++) {
      if (rc == 0 && run_file(names[i]) != 0) {
         rc = -1;
      }
      (*count)++;
      free(names[i]);
   }
   free(names);
   return rc;
}

int main(int argc, char **argv)
{
   int count = 0;

   if (argc < 2) {
      fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
      return 2;
   }
   for (int i = 1; i < argc; i++) {
      struct stat st;
      if (stat(argv[i], &st) != 0) {
         perror(argv[i]);
         return 1;
      }
      if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) != 0 : run_file(argv[i]) != 0) {
         return 1;
      }
      count += !S_ISDIR(st.st_mode);
   }
   if (count == 0) {
      fprintf(stderr, "no inputs found\n");
      return 1;
   }
   printf("replayed %d inputs\n", count);
   return 0;
}
