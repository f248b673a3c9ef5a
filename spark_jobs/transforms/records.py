"""Physical lines of one CSV file -> records, where a quoted field may hold line breaks.

Used only for files whose byte scan found a line with an odd number of quotes
(`spark_jobs.file_scan`); other files are read line by line, split across tasks. A line
continues the record before it while that record has an odd number of quote characters so
far (a doubled `""` inside a quoted field counts twice, so it never flips the parity). The
record's text is its lines joined with the file's line separator, so the field keeps its
line break exactly as delivered; its line number is the physical line it starts on.

A stray quote would otherwise join the rest of the file into one record: a record may span
at most `MAX_RECORD_LINES` lines, and the lines of a longer one are read one by one, as
every line of a file without open quotes is.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

MAX_RECORD_LINES = 50


def join_quoted_lines(lines: DataFrame, line_sep: str, max_lines: int = MAX_RECORD_LINES) -> DataFrame:
    """Records of one file from its lines (`value`, `_source_file`, `ingest_date`, `_block_start`).

    The lines must come straight from the file's scan (ids increase within a split). The
    records keep those columns, with `_block_start` 0 and `_row_id` the record's first
    physical line (1-based), which is what `landing.number_lines` turns into `_line_number`.
    """
    in_file = Window.partitionBy("_source_file").orderBy("_block_start", "_pos")
    so_far = in_file.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    quotes = F.length("value") - F.length(F.translate("value", '"', ""))
    lines = lines.select("*", F.monotonically_increasing_id().alias("_pos")).select(
        "*", quotes.alias("_quotes")
    )
    lines = lines.select(
        "*",
        F.row_number().over(in_file).alias("_line"),
        # A line starts a record when the quotes before it are balanced.
        (((F.sum("_quotes").over(so_far) - F.col("_quotes")) % 2) == 0).cast("long").alias("_starts"),
    )
    lines = lines.select("*", F.sum("_starts").over(so_far).alias("_record"))
    span = F.count(F.lit(1)).over(Window.partitionBy("_source_file", "_record"))
    key = F.when(span <= max_lines, F.col("_record")).otherwise(-F.col("_line"))
    records = (
        lines.select("*", key.alias("_key"))
        .groupBy("_source_file", "ingest_date", "_key")
        .agg(
            F.min("_line").alias("_row_id"),
            F.sort_array(F.collect_list(F.struct("_line", "value"))).alias("_parts"),
        )
    )
    text = F.array_join(F.col("_parts.value"), line_sep)
    if line_sep == "\n":  # the lines kept their "\r" of a "\r\n": the record's own ending goes
        text = F.regexp_replace(text, "\r\\z", "")
    return records.select(
        text.alias("value"),
        "_source_file",
        "ingest_date",
        F.lit(0).cast("long").alias("_block_start"),
        F.col("_row_id").cast("long").alias("_row_id"),
    )
