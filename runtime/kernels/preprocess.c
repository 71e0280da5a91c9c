/* placeholder: being written */
typedef int rt_placeholder_preprocess;
