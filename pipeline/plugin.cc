// The GStreamer plugin "strix": registers its elements, nothing else.
#include <gst/gst.h>

#include "pipeline/classify.h"
#include "pipeline/metaconvert.h"
#include "pipeline/metapublish.h"
#include "pipeline/overlay.h"

#ifndef PACKAGE
#define PACKAGE "strix"
#endif

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(strixclassify, plugin);
  ok |= GST_ELEMENT_REGISTER(strixoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER(strixmetaconvert, plugin);
  ok |= GST_ELEMENT_REGISTER(strixmetapublish, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, strix,
                  "Strix edge inference: classification, overlay and metadata elements",
                  plugin_init, STRIX_VERSION, GST_LICENSE_UNKNOWN, "Strix", "strix")
