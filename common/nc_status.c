/*
** nc_status: names and messages of the status codes, generated from the one
** table in netc.h, plus the dtype names that every layer prints.
*/
#include "netc.h"

const char *netc_strerror(netc_status status) {
  switch (status) {
#define NC_STATUS_MESSAGE_(name, value, message) \
  case NETC_##name:                              \
    return message;
    NETC_STATUS_MAP(NC_STATUS_MESSAGE_)
#undef NC_STATUS_MESSAGE_
  }
  return "unknown status";
}

const char *netc_status_name(netc_status status) {
  switch (status) {
#define NC_STATUS_NAME_(name, value, message) \
  case NETC_##name:                           \
    return "NETC_" #name;
    NETC_STATUS_MAP(NC_STATUS_NAME_)
#undef NC_STATUS_NAME_
  }
  return "NETC_UNKNOWN";
}

const char *netc_dtype_name(netc_dtype dtype) {
  switch (dtype) {
  case NETC_F32: return "f32";
  case NETC_I32: return "i32";
  case NETC_U8: return "u8";
  case NETC_BOOL: return "bool";
  }
  return "?";
}
