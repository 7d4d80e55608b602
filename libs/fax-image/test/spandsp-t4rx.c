/* Test helper: feeds line-form T.4/T.6 page data (LSB first, as on the line) to spandsp's T.4
   receiver, which writes the page as a TIFF and prints its row statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <tiffio.h>
#include <spandsp.h>

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: t4rx <encoding 1|2|3> <width> <in.bin> <out.tif>\n"); return 2; }
    int encoding = atoi(argv[1]);
    int width = atoi(argv[2]);
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 1; }
    static uint8_t buf[1 << 24];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    t4_rx_state_t *s = t4_rx_init(NULL, argv[4], T4_COMPRESSION_ITU_T6);
    if (!s) { fprintf(stderr, "t4_rx_init failed\n"); return 1; }
    t4_rx_set_rx_encoding(s, encoding);
    t4_rx_set_x_resolution(s, T4_X_RESOLUTION_R8);
    t4_rx_set_y_resolution(s, T4_Y_RESOLUTION_FINE);
    t4_rx_set_image_width(s, width);
    t4_rx_start_page(s);
    int end = t4_rx_put_chunk(s, buf, (int) len);
    t4_rx_end_page(s);
    t4_stats_t st;
    t4_rx_get_transfer_statistics(s, &st);
    printf("end=%d rows=%d bad=%d longest=%d width=%d\n", end, st.length, st.bad_rows, st.longest_bad_row_run, st.width);
    t4_rx_release(s);
    return 0;
}
