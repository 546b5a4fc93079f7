#[=======================================================================[.rst:
Berth
-----

Give every generated, containerized app its own ports and names, as a reproducible build
artifact. Apps are declared in a CMakeLists; their ports are reserved in the host's berth store
at configure time (one ``berth`` process, one store transaction, for the whole project); their
scaffolds are written by ``cmake --build``.

.. code-block:: cmake

  find_package(Berth CONFIG REQUIRED)   # or add_subdirectory(berth), or include(Berth)
  add_generated_app(anthropic_claude-4.5-haiku-20251001 1)
  add_generated_app(openai/gpt-5-mini 2 SOURCES gpt-5-mini/app2 VARS app_title=Todo)

.. command:: add_generated_app

  ::

    add_generated_app(<model> <n>
                      [TEMPLATE <name-or-folder>]
                      [OUTPUT_DIR <dir>]
                      [SOURCES <dir>]
                      [PORTS <name>=<port>...]
                      [VARS <key>=<value>...]
                      [POOL <pool>]
                      [TARGET <name>])

  Declares app ``<n>`` (1 to 1000000) of ``<model>`` (any name berth accepts, without ``;``).

  ``TEMPLATE``
    A template name, looked up by ``berth``, or a template folder (a value with a ``/``, or an
    existing folder, relative to the current source folder). Default: ``react-flask``.
  ``OUTPUT_DIR``
    Where the app is written; relative paths are relative to the current binary folder.
    Default: ``${CMAKE_BINARY_DIR}/apps/<model folder>/app<n>``, where the model folder is the
    model with every character other than ``A-Za-z0-9._-`` turned into ``_``.
  ``SOURCES``
    An overlay folder (relative to the current source folder): the code a model wrote. Its
    files are copied over the scaffold, so scaffold + overlay = the app.
  ``PORTS``
    Pins: ``backend=5101`` gives the app that port, or fails configure if another app holds it.
  ``VARS``
    Template variables, ``app_title=Todo``; a key the template does not declare fails configure.
  ``POOL``
    The store pool to allocate from. Default: the store's ``apps`` pool.
  ``TARGET``
    The name of the app's target (built by ``all``). Default:
    ``berth_<model folder>_app<n>``, with characters CMake does not allow turned into ``_``.

  At the end of configure (``cmake_language(DEFER)``), every declared app is reserved by one
  ``berth plan`` run in one store transaction, all or nothing. Configure then fails, naming
  the app and the file:line of its declaration, when: the same ``(<model>, <n>)`` is declared
  twice; a pin or a lock-file entry is held by another owner; a keyword is unknown or a value
  is bad; ``BERTH_LOCKED`` is on and an app is not in the lock file.

  Each app's target carries its reservation as properties, usable in generator expressions
  (``$<TARGET_PROPERTY:berth_x_app1,BERTH_BACKEND_PORT>``): ``BERTH_MODEL``, ``BERTH_APP``,
  ``BERTH_POOL``, ``BERTH_PROJECT_NAME``, ``BERTH_PORTS`` (a list of ``name=port``),
  ``BERTH_<NAME>_PORT`` for each named port (``BERTH_BACKEND_PORT``, ``BERTH_FRONTEND_PORT``)
  and ``BERTH_OUTPUT_DIR``. They are set at the end of configure, so read them through
  generator expressions or the summary, not with ``get_target_property`` right after the call.

  Each app is built by one custom command (``berth build-app``) that depends on the template's
  files, the overlay's files and the app's reservation: editing one template or overlay file
  re-scaffolds only the apps it affects, and a no-op build does nothing. Adding or removing a
  file in a template or overlay re-runs configure. The command's only output is a stamp,
  ``${CMAKE_BINARY_DIR}/berth/apps/<target>.done``: the ``clean`` target removes that stamp and
  never an app file (the next build scaffolds again, writing only what differs). To rebuild an
  app whose files you deleted, remove its stamp or build after ``clean``.

Cache variables
^^^^^^^^^^^^^^^

``BERTH_EXECUTABLE``
  The ``berth`` program. Set by ``find_package(Berth)`` and by ``add_subdirectory`` of berth;
  otherwise looked up on ``PATH``.
``BERTH_STORE``
  The store folder. Empty (default): the user's store (``$BERTH_STORE``, else
  ``$XDG_STATE_HOME/berth``, else ``~/.local/state/berth``), so separate build trees on one host
  never collide.
``BERTH_LOCKFILE``
  The lock file. Default: ``berth.lock.json`` beside the top-level CMakeLists, used (and
  updated with new apps) when it exists; create it empty to start locking. Any other path is
  always used, and created.
``BERTH_LOCKED``
  ``OFF`` (default). When ``ON`` (for CI), configure takes every app from the lock file and
  fails instead of allocating anything; the lock file is never written.
``BERTH_QUIET``
  ``OFF`` (default). When ``ON``, configure does not print the summary table.

Results
^^^^^^^

``${CMAKE_BINARY_DIR}/berth/apps.json``
  Every app: ``model``, ``app``, ``pool``, ``ports``, ``project``, ``out``, ``target``,
  ``declared``, ``outputs``, ``template``.
``berth_apps``
  A target that builds every app (unless the project already has a target of that name).
#]=======================================================================]

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "Berth: CMake 3.20 or newer is needed (this is ${CMAKE_VERSION})")
endif()

if(NOT BERTH_EXECUTABLE)
  find_program(BERTH_EXECUTABLE berth)
endif()
set(BERTH_EXECUTABLE "${BERTH_EXECUTABLE}" CACHE FILEPATH "The berth program")
set(BERTH_STORE "" CACHE PATH "berth store folder (empty: the user's store)")
set(BERTH_LOCKFILE "${CMAKE_SOURCE_DIR}/berth.lock.json" CACHE FILEPATH
    "berth lock file (the default is used when it exists)")
option(BERTH_LOCKED "Take every app from the lock file; allocate nothing" OFF)
option(BERTH_QUIET "Do not print berth's summary table at configure" OFF)

# _berth_json_string(<out-var> <in-var>): the value of the variable named <in-var> as a JSON
# string literal. A macro: it runs thousands of times in a large project, and a function call
# costs more than its work. It takes the variable's name, never its value, so the value is
# evaluated once (a macro argument's text would be evaluated again: `${x}` or a backslash in a
# model name would change or break it). It sets CMAKE_MATCH_*.
macro(_berth_json_string out in)
  set(${out} "${${in}}")
  if(${out} MATCHES "[\\\"\t\n\r]")
    string(REPLACE "\\" "\\\\" ${out} "${${out}}")
    string(REPLACE "\"" "\\\"" ${out} "${${out}}")
    string(REPLACE "\t" "\\t" ${out} "${${out}}")
    string(REPLACE "\n" "\\n" ${out} "${${out}}")
    string(REPLACE "\r" "\\r" ${out} "${${out}}")
  endif()
  set(${out} "\"${${out}}\"")
endmacro()

# _berth_fail(<message parts>...): stop with a message naming the app (from the caller's
# `model` and `n`). CMake adds the call stack, which holds the file:line of the declaration.
# A function, not a macro, so the parts (which may hold the user's text) are evaluated once.
function(_berth_fail)
  string(JOIN "" msg ${ARGN})
  message(FATAL_ERROR "add_generated_app(${model} ${n}): ${msg}")
endfunction()

# Target names CMake or its generators keep for themselves.
set(_BERTH_RESERVED_TARGETS all clean install test help package package_source edit_cache
    rebuild_cache list_install_components install/local install/strip depend preinstall
    ZERO_CHECK ALL_BUILD RUN_TESTS INSTALL PACKAGE berth_apps)

function(add_generated_app model n)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "TEMPLATE;OUTPUT_DIR;SOURCES;POOL;TARGET" "PORTS;VARS")
  if(arg_UNPARSED_ARGUMENTS)
    list(JOIN arg_UNPARSED_ARGUMENTS " " extra)
    _berth_fail("unknown argument(s) '${extra}'. The keywords are TEMPLATE, OUTPUT_DIR, "
                "SOURCES, PORTS, VARS, POOL and TARGET")
  endif()
  foreach(keyword IN LISTS arg_KEYWORDS_MISSING_VALUES)
    _berth_fail("${keyword} needs a value")
  endforeach()
  if("${model}" STREQUAL "")
    _berth_fail("the model name is empty")
  endif()
  if(model MATCHES ";")
    string(REPLACE ";" "\\;" shown "${model}")
    message(FATAL_ERROR "add_generated_app(${shown} ${n}): a model name with ';' cannot travel "
                        "through CMake lists. Reserve it with the berth command line instead.")
  endif()
  if(NOT n MATCHES "^[1-9][0-9]*$" OR n GREATER 1000000)
    _berth_fail("the app number '${n}' is not a whole number from 1 to 1000000")
  endif()
  if(NOT BERTH_EXECUTABLE)
    _berth_fail("no berth program: use find_package(Berth), add_subdirectory() of berth, or "
                "set BERTH_EXECUTABLE")
  endif()

  # Pins and variables.
  set(pins "")
  set(pin_names "")
  foreach(pin IN LISTS arg_PORTS)
    if(NOT pin MATCHES "^([a-z][a-z0-9_]*)=([0-9]+)$")
      _berth_fail("PORTS '${pin}' is not <name>=<port> (for example backend=5101)")
    endif()
    if(CMAKE_MATCH_2 LESS 1 OR CMAKE_MATCH_2 GREATER 65535)
      _berth_fail("PORTS '${pin}': ${CMAKE_MATCH_2} is not a port (1 to 65535)")
    endif()
    if(CMAKE_MATCH_1 IN_LIST pin_names)
      _berth_fail("PORTS names '${CMAKE_MATCH_1}' twice")
    endif()
    list(APPEND pin_names "${CMAKE_MATCH_1}")
    list(APPEND pins "\"${CMAKE_MATCH_1}\": ${CMAKE_MATCH_2}")
  endforeach()
  set(vars "")
  foreach(var IN LISTS arg_VARS)
    if(NOT var MATCHES "^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
      _berth_fail("VARS '${var}' is not <key>=<value> (for example app_title=Todo)")
    endif()
    set(key "${CMAKE_MATCH_1}")  # _berth_json_string matches too, clobbering CMAKE_MATCH_*
    _berth_json_string(value CMAKE_MATCH_2)
    list(APPEND vars "\"${key}\": ${value}")
  endforeach()
  if(DEFINED arg_POOL AND NOT arg_POOL MATCHES "^[a-z0-9][a-z0-9_-]*$")
    _berth_fail("POOL '${arg_POOL}' is not a pool name")
  endif()

  # Template, overlay and output folder.
  set(template "react-flask")
  if(DEFINED arg_TEMPLATE)
    set(template "${arg_TEMPLATE}")
    get_filename_component(template_dir "${arg_TEMPLATE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(arg_TEMPLATE MATCHES "/" OR IS_DIRECTORY "${template_dir}")
      if(NOT EXISTS "${template_dir}/template.json")
        _berth_fail("TEMPLATE folder '${template_dir}' has no template.json")
      endif()
      set(template "${template_dir}")
    endif()
  endif()
  set(overlay "")
  if(DEFINED arg_SOURCES)
    get_filename_component(overlay "${arg_SOURCES}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT IS_DIRECTORY "${overlay}")
      _berth_fail("SOURCES '${arg_SOURCES}' is not a folder ('${overlay}')")
    endif()
  endif()
  string(REGEX REPLACE "[^A-Za-z0-9._-]" "_" folder "${model}")
  if(folder MATCHES "^\\.")
    string(PREPEND folder "_")
  endif()
  if(DEFINED arg_OUTPUT_DIR)
    get_filename_component(out "${arg_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(out "${CMAKE_BINARY_DIR}/apps/${folder}/app${n}")
  endif()
  if(DEFINED arg_TARGET)
    set(target "${arg_TARGET}")
  else()
    string(REGEX REPLACE "[^A-Za-z0-9_.+-]" "_" target "berth_${folder}_app${n}")
  endif()
  if(NOT target MATCHES "^[A-Za-z0-9_.+-]+$" OR target MATCHES "^\\.\\.?$")
    _berth_fail("TARGET '${target}' is not a valid target name")
  endif()
  if(target IN_LIST _BERTH_RESERVED_TARGETS)
    _berth_fail("TARGET '${target}' is a name CMake keeps for itself; choose another")
  endif()

  # Duplicates: the same app, output folder or target declared twice. The same app twice is
  # reported at the end of configure, when both declarations' lines can be found.
  string(MD5 key "${model}\n${n}")
  get_property(first GLOBAL PROPERTY _BERTH_APP_${key})
  if(NOT "${first}" STREQUAL "")
    _berth_record_call(ordinal)
    set_property(GLOBAL APPEND PROPERTY _BERTH_DUPLICATES "${first}:${CMAKE_CURRENT_LIST_FILE}:${ordinal}")
    return()
  endif()
  string(MD5 out_key "${out}")
  get_property(seen GLOBAL PROPERTY _BERTH_OUT_${out_key})
  if(seen)
    _berth_fail("OUTPUT_DIR '${out}' is already used by ${seen}. Give one of them an OUTPUT_DIR.")
  endif()
  get_property(seen GLOBAL PROPERTY _BERTH_TARGET_${target})
  if(seen OR TARGET "${target}")
    _berth_fail("TARGET '${target}' already exists. Give this app another TARGET.")
  endif()

  # Record the declaration; the deferred step reserves and creates the targets.
  get_property(count GLOBAL PROPERTY _BERTH_COUNT)
  if(NOT count)
    set(count 0)
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" ID _berth_generate CALL _berth_generate)
  endif()
  set(i ${count})
  math(EXPR count "${count} + 1")
  set_property(GLOBAL PROPERTY _BERTH_COUNT ${count})
  _berth_record_call(ordinal)
  foreach(field model n template out overlay target pins vars pin_names)
    set_property(GLOBAL PROPERTY _BERTH_${i}_${field} "${${field}}")
  endforeach()
  set_property(GLOBAL PROPERTY _BERTH_${i}_pool "${arg_POOL}")
  set_property(GLOBAL PROPERTY _BERTH_${i}_file "${CMAKE_CURRENT_LIST_FILE}")
  set_property(GLOBAL PROPERTY _BERTH_${i}_ordinal ${ordinal})
  set_property(GLOBAL PROPERTY _BERTH_APP_${key} "${i}")
  set_property(GLOBAL PROPERTY _BERTH_OUT_${out_key} "add_generated_app(${model} ${n})")
  set_property(GLOBAL PROPERTY _BERTH_TARGET_${target} 1)
endfunction()

# _berth_record_call(<out-var>): counts this add_generated_app call in its file; sets <out-var>
# to its ordinal there (see _berth_locate).
macro(_berth_record_call out)
  get_property(${out} GLOBAL PROPERTY "_BERTH_CALLS_${CMAKE_CURRENT_LIST_FILE}")
  if(NOT ${out})
    set(${out} 0)
  endif()
  math(EXPR ${out} "${${out}} + 1")
  set_property(GLOBAL PROPERTY "_BERTH_CALLS_${CMAKE_CURRENT_LIST_FILE}" ${${out}})
endmacro()

# _berth_locate(<out-var> <file> <ordinal>): "<file>:<line>" of the <ordinal>-th
# add_generated_app call made from <file>. CMake does not tell a function its caller's line, so
# the file is read: when it holds as many add_generated_app( calls as were made from it (no
# loops or wrappers), the n-th call is the n-th in the text; otherwise the line is left out.
function(_berth_locate out file ordinal)
  file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${file}")
  get_property(lines GLOBAL PROPERTY "_BERTH_LINES_${file}")
  if("${lines}" STREQUAL "")
    file(STRINGS "${file}" text)
    set(lines "")
    set(number 0)
    # Calls inside a function() or macro() definition are a wrapper's, not the file's own: they
    # are not counted, so a file that calls a wrapper gets no line rather than a wrong one.
    set(in_definition 0)
    foreach(line IN LISTS text)
      math(EXPR number "${number} + 1")
      string(TOLOWER "${line}" lower)
      if(lower MATCHES "^[ \t]*(function|macro)[ \t]*\\(")
        set(in_definition 1)
      elseif(lower MATCHES "^[ \t]*end(function|macro)[ \t]*\\(")
        set(in_definition 0)
      elseif(NOT in_definition AND lower MATCHES "^[ \t]*add_generated_app[ \t]*\\(")
        list(APPEND lines ${number})
      endif()
    endforeach()
    get_property(calls GLOBAL PROPERTY "_BERTH_CALLS_${file}")
    list(LENGTH lines found)
    if(NOT found EQUAL calls)
      set(lines "-")
    endif()
    set_property(GLOBAL PROPERTY "_BERTH_LINES_${file}" "${lines}")
  endif()
  if("${lines}" STREQUAL "-")
    set(${out} "${rel}" PARENT_SCOPE)
  else()
    math(EXPR index "${ordinal} - 1")
    list(GET lines ${index} line)
    set(${out} "${rel}:${line}" PARENT_SCOPE)
  endif()
endfunction()

# Writes <content> to <file> only when it differs, so that nothing downstream sees a change.
function(_berth_write_if_changed file content)
  if(EXISTS "${file}")
    file(READ "${file}" old)
    if("${old}" STREQUAL "${content}")
      return()
    endif()
  endif()
  file(WRITE "${file}" "${content}")
endfunction()

# The end of configure: reserve every app with one berth process, then create the targets.
function(_berth_generate)
  get_property(count GLOBAL PROPERTY _BERTH_COUNT)
  math(EXPR last "${count} - 1")
  set(dir "${CMAKE_BINARY_DIR}/berth")
  file(MAKE_DIRECTORY "${dir}/apps")

  # The same app declared twice.
  get_property(duplicates GLOBAL PROPERTY _BERTH_DUPLICATES)
  if(duplicates)
    set(lines "")
    foreach(duplicate IN LISTS duplicates)
      # "<index of the first>:<file of the second>:<its ordinal>"
      string(REGEX MATCH "^([0-9]+):(.*):([0-9]+)$" _ "${duplicate}")
      set(a ${CMAKE_MATCH_1})
      set(second_file "${CMAKE_MATCH_2}")
      set(second_ordinal ${CMAKE_MATCH_3})
      get_property(file GLOBAL PROPERTY _BERTH_${a}_file)
      get_property(ordinal GLOBAL PROPERTY _BERTH_${a}_ordinal)
      _berth_locate(first_at "${file}" ${ordinal})
      _berth_locate(second_at "${second_file}" ${second_ordinal})
      get_property(model GLOBAL PROPERTY _BERTH_${a}_model)
      get_property(n GLOBAL PROPERTY _BERTH_${a}_n)
      string(APPEND lines "\n  add_generated_app(${model} ${n}) is declared twice: at ${first_at} and at ${second_at}")
    endforeach()
    message(FATAL_ERROR "add_generated_app: an app may be declared once; nothing was reserved.${lines}")
  endif()

  # The plan: one JSON entry per declared app, in declaration order.
  set(entries "")
  foreach(i RANGE ${last})
    foreach(field model n template out overlay target pins vars pool file ordinal)
      get_property(${field} GLOBAL PROPERTY _BERTH_${i}_${field})
    endforeach()
    _berth_locate(declared "${file}" ${ordinal})
    set_property(GLOBAL PROPERTY _BERTH_${i}_declared "${declared}")
    _berth_json_string(jmodel model)
    _berth_json_string(jtemplate template)
    _berth_json_string(jout out)
    _berth_json_string(jtarget target)
    _berth_json_string(jdeclared declared)
    set(entry "{\"model\": ${jmodel}, \"app\": ${n}, \"template\": ${jtemplate}, \"out\": ${jout}, \"target\": ${jtarget}, \"declared\": ${jdeclared}")
    if(NOT "${pool}" STREQUAL "")
      string(APPEND entry ", \"pool\": \"${pool}\"")
    endif()
    if(NOT "${overlay}" STREQUAL "")
      _berth_json_string(joverlay overlay)
      string(APPEND entry ", \"overlay\": ${joverlay}")
    endif()
    if(pins)
      list(JOIN pins ", " joined)
      string(APPEND entry ", \"ports\": {${joined}}")
    endif()
    if(vars)
      list(JOIN vars ", " joined)
      string(APPEND entry ", \"vars\": {${joined}}")
    endif()
    list(APPEND entries "${entry}}")
  endforeach()
  list(JOIN entries ",\n " joined)
  _berth_write_if_changed("${dir}/plan.json" "[${joined}]\n")

  # Targets the project made after declaring its apps: refused before anything is reserved.
  foreach(i RANGE ${last})
    get_property(target GLOBAL PROPERTY _BERTH_${i}_target)
    if(TARGET "${target}")
      get_property(model GLOBAL PROPERTY _BERTH_${i}_model)
      get_property(n GLOBAL PROPERTY _BERTH_${i}_n)
      get_property(declared GLOBAL PROPERTY _BERTH_${i}_declared)
      message(FATAL_ERROR "add_generated_app(${model} ${n}) (declared at ${declared}): a target "
                          "'${target}' exists already; give the app another TARGET. Nothing was "
                          "reserved.")
    endif()
  endforeach()

  set(store_args "")
  if(BERTH_STORE)
    set(store_args --store "${BERTH_STORE}")
  endif()
  set(lock_args "")
  if(BERTH_LOCKED)
    set(lock_args --lock "${BERTH_LOCKFILE}" --locked)
  elseif(EXISTS "${BERTH_LOCKFILE}" OR NOT "${BERTH_LOCKFILE}" STREQUAL "${CMAKE_SOURCE_DIR}/berth.lock.json")
    set(lock_args --lock "${BERTH_LOCKFILE}")
  endif()
  execute_process(
    COMMAND "${BERTH_EXECUTABLE}" ${store_args} plan "${dir}/plan.json" ${lock_args}
            --cmake "${dir}/plan.cmake" --summary "${dir}/apps.json" --stamps "${dir}/apps"
    RESULT_VARIABLE rc OUTPUT_VARIABLE table ERROR_VARIABLE err)
  if(NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "add_generated_app: cannot run berth ('${BERTH_EXECUTABLE}'): ${rc}. "
                        "Set BERTH_EXECUTABLE to the berth program.")
  elseif(NOT rc EQUAL 0)
    string(STRIP "${err}" err)
    message(FATAL_ERROR "add_generated_app: berth refused this project's apps.\n${err}")
  endif()
  include("${dir}/plan.cmake")

  # One custom command and target per app. Its only OUTPUT is a stamp that `berth build-app`
  # writes when the app is up to date: `clean` removes that stamp, never an app file (files the
  # user edited or that berth never touches included), and the next build scaffolds again. The
  # command line holds only paths: the model, ports and variables travel in the app's
  # reservation stamp, so no text of the user's is ever read by the generator's shell or make.
  set(targets "")
  set(configure_templates "")
  set(configure_depends "")
  set(berth_dep "")
  if(IS_ABSOLUTE "${BERTH_EXECUTABLE}")
    set(berth_dep "${BERTH_EXECUTABLE}")
  endif()
  foreach(i RANGE ${last})
    foreach(field model n out target)
      get_property(${field} GLOBAL PROPERTY _BERTH_${i}_${field})
    endforeach()
    set(t ${BERTH_PLAN_${i}_TEMPLATE})
    set(template_dir "${BERTH_PLAN_TEMPLATE_${t}_DIR}")
    set(port_list "")
    foreach(name port IN ZIP_LISTS BERTH_PLAN_${i}_PORT_NAMES BERTH_PLAN_${i}_PORTS)
      list(APPEND port_list "${name}=${port}")
    endforeach()
    # What the scaffold depends on besides files (written by berth plan when it changes).
    set(stamp "${dir}/apps/${target}.reservation")
    set(done "${dir}/apps/${target}.done")
    # Adding or removing a template or overlay file changes the outputs: configure again.
    if(NOT t IN_LIST configure_templates)
      list(APPEND configure_templates ${t})
      list(APPEND configure_depends ${BERTH_PLAN_TEMPLATE_${t}_FOLDERS} "${template_dir}/template.json")
    endif()
    list(APPEND configure_depends ${BERTH_PLAN_${i}_OVERLAY_FOLDERS})
    file(RELATIVE_PATH shown "${CMAKE_BINARY_DIR}" "${out}")
    string(REPLACE "$" "_" shown "${shown}")  # a comment is no place for make's $(...)
    add_custom_command(
      OUTPUT "${done}"
      COMMAND "${BERTH_EXECUTABLE}" ${store_args} build-app "${stamp}" --done "${done}"
      DEPENDS ${BERTH_PLAN_TEMPLATE_${t}_FILES} ${BERTH_PLAN_${i}_OVERLAY_FILES} "${stamp}"
              ${berth_dep}
      COMMENT "berth: scaffolding ${shown}"
      VERBATIM)
    add_custom_target(${target} ALL DEPENDS "${done}")
    set_target_properties(${target} PROPERTIES
      BERTH_MODEL "${model}"
      BERTH_APP "${n}"
      BERTH_POOL "${BERTH_PLAN_${i}_POOL}"
      BERTH_PROJECT_NAME "${BERTH_PLAN_${i}_PROJECT}"
      BERTH_PORTS "${port_list}"
      BERTH_OUTPUT_DIR "${out}")
    foreach(name port IN ZIP_LISTS BERTH_PLAN_${i}_PORT_NAMES BERTH_PLAN_${i}_PORTS)
      string(TOUPPER "${name}" upper)
      set_target_properties(${target} PROPERTIES BERTH_${upper}_PORT "${port}")
    endforeach()
    list(APPEND targets ${target})
  endforeach()
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${configure_depends})
  if(NOT TARGET berth_apps)
    add_custom_target(berth_apps DEPENDS ${targets})
  endif()

  if(NOT BERTH_QUIET)
    string(REGEX REPLACE "\n$" "" table "${table}")
    string(REPLACE "\n" ";" rows "${table}")
    message(STATUS "berth: ${count} app(s) reserved (summary: ${dir}/apps.json)")
    foreach(row IN LISTS rows)
      message(STATUS "  ${row}")
    endforeach()
  endif()
endfunction()
