# Write nested lists as JSON with every number at 17 significant digits (full double
# precision): jsonlite alone stops at 15.
suppressPackageStartupMessages(library(jsonlite))
full_precision <- function(x) {
  if (is.list(x)) return(lapply(x, full_precision))
  if (is.numeric(x) && length(x) == 1 && !is.na(x))
    return(structure(sprintf("%.17g", x), class = "json"))
  if (is.numeric(x) && length(x) > 1)
    return(structure(paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)), collapse = ","), "]"),
                     class = "json"))
  x
}
write_json17 <- function(x, path) {
  dir.create(dirname(path), showWarnings = FALSE, recursive = TRUE)
  writeLines(toJSON(full_precision(x), auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE,
                    null = "null", na = "null"), path)
}
