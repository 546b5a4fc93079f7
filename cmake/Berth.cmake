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
    The name of the app's target (built by ``all`` with Ninja; see ``berth_apps``). Default:
    ``berth_<model folder>_app<n>``, with characters CMake does not allow turned into ``_``;
    when that is longer than 100 characters (a long model name), the folder is cut to its first
    70 characters followed by ``_`` and the first 8 hex digits of the model's SHA-1:
    ``berth_<cut>_<hash>_app<n>``, the same on every configure.

  At the end of configure (``cmake_language(DEFER)``), every declared app is reserved by one
  ``berth plan`` run in one store transaction, all or nothing. Configure then fails, naming
  the app and the file:line of its declaration (every problem at once, before anything is
  reserved), when: the same ``(<model>, <n>)`` is declared twice; a pin or a lock-file entry
  is held by another owner; a keyword is unknown, given twice or a value is bad; the app's
  target is one the project has already; ``BERTH_LOCKED`` is on and an app is not in the lock
  file.

  Each app's target carries its reservation as properties, usable in generator expressions
  (``$<TARGET_PROPERTY:berth_x_app1,BERTH_BACKEND_PORT>``): ``BERTH_MODEL``, ``BERTH_APP``,
  ``BERTH_POOL``, ``BERTH_PROJECT_NAME``, ``BERTH_PORTS`` (a list of ``name=port``),
  ``BERTH_<NAME>_PORT`` for each named port (``BERTH_BACKEND_PORT``, ``BERTH_FRONTEND_PORT``)
  and ``BERTH_OUTPUT_DIR``. They are set at the end of configure, so read them through
  generator expressions or the summary, not with ``get_target_property`` right after the call.

  Apps are built by ``berth build-app`` commands (one per app up to 16 apps, about 16 shared
  commands beyond) that depend on the apps' reservations and, through a DEPFILE, on the
  template's and overlay's files; a command re-scaffolds only those of its apps that are out of
  date: editing one template or overlay file re-scaffolds only the apps it affects, and a no-op
  build does nothing. Adding or removing a file in a template or overlay re-runs configure.
  An app's only build output is a stamp, ``${CMAKE_BINARY_DIR}/berth/apps/<target>.done``: the
  ``clean`` target removes that stamp and never an app file (the next build scaffolds again,
  writing only what differs). To rebuild an app whose files you deleted, remove its stamp or
  build after ``clean``.

Cache variables
^^^^^^^^^^^^^^^

``BERTH_EXECUTABLE``
  The ``berth`` program. Set by ``find_package(Berth)`` and by ``add_subdirectory`` of berth;
  otherwise looked up on ``PATH``.
``BERTH_STORE``
  The store folder. Empty (default): ``$BERTH_STORE``, else the host store when one exists
  (``berth init --host``: ``/var/lib/berth``, or ``$BERTH_HOST_STORE``), else the user's own
  store (``$XDG_STATE_HOME/berth``, else ``~/.local/state/berth``). The store a build tree uses
  is fixed at its first configure (an absolute path in the cache): builds and later configures
  use it whatever the environment says then; a later ``$BERTH_STORE`` naming another store fails
  configure, and ``-DBERTH_STORE=<dir>`` moves the tree to another store.
``BERTH_OWNER``
  The project the apps belong to, recorded with each reservation. Empty (default): the
  top-level project's name (``CMAKE_PROJECT_NAME``). An app another project owns fails
  configure at its declaration, naming that project and where it uses the app; an app with no
  owner yet (reserved on the command line, imported) is adopted, and configure says so. The same
  project from two checkouts or build trees shares its apps.
``BERTH_NAMESPACE``
  Empty (default): the apps are in no namespace. Otherwise (1 to 24 of ``a-z``, ``0-9`` and
  ``-``), this project's apps are keyed by (namespace, model, app number): two projects that
  declare the same model and number each get their own ports, and the namespace prefixes the
  compose project name (so container names, the front door's host name and the Kubernetes
  namespace). Changing it gives the apps new reservations (the old ones stay until released or
  pruned).
``BERTH_LOCKFILE``
  The lock file. Default: ``berth.lock.json`` beside the top-level CMakeLists, used (and
  updated with new apps) when it exists; create it empty to start locking. Any other path is
  always used, and created.
``BERTH_LOCKED``
  ``OFF`` (default). When ``ON`` (for CI), configure takes every app from the lock file and
  fails instead of allocating anything; the lock file is never written.
``BERTH_RELOCK``
  ``OFF`` (default). When ``ON``, the locked apps whose locked ports (or name) another project
  holds in this host's store are allocated afresh, their lock entries rewritten, and each move
  printed (``old -> new``); nothing else changes. Refused together with ``BERTH_LOCKED``. A
  one-shot action: a configure that ran it sets it ``OFF`` again.
``BERTH_PRUNE``
  ``OFF`` (default). When ``ON``, configure runs ``berth prune --build`` on this build tree:
  the apps it declared before and no longer declares are released (unless another build tree or
  folder on the host still uses them) and berth's files are removed from their folders (a
  user's or changed file never). A one-shot action: it turns itself ``OFF`` again.
``BERTH_QUIET``
  ``OFF`` (default). When ``ON``, configure prints no summary.
``BERTH_VERBOSE``
  ``OFF`` (default): configure prints the table of apps when there are at most 20, else one
  line per pool. When ``ON``, the table, however many apps there are.

Results
^^^^^^^

``${CMAKE_BINARY_DIR}/berth/apps.json``
  Every app: ``model``, ``app``, ``pool``, ``ports``, ``project``, ``out``, ``target``,
  ``declared``, ``outputs``, ``template``.
``berth_apps``
  A target that builds every app (``berth_all_apps`` when the project already has a target
  named ``berth_apps``). With Ninja, every app's target is in ``all`` and ``berth_apps``
  depends on them. With a Makefile generator, which pays a recursive ``make`` and two
  ``cmake`` processes for every target in ``all``, only ``berth_apps`` is in ``all``: it runs
  the apps' build commands directly, and an app's target scaffolds that one app when built by
  name (``cmake --build build --target berth_m_app1``) and keeps its properties.
#]=======================================================================]

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "Berth: CMake 3.20 or newer is needed (this is ${CMAKE_VERSION})")
endif()

if(NOT BERTH_EXECUTABLE)
  find_program(BERTH_EXECUTABLE berth)
endif()
set(BERTH_EXECUTABLE "${BERTH_EXECUTABLE}" CACHE FILEPATH "The berth program")
set(BERTH_STORE "" CACHE PATH "berth store folder (empty: the host store, else the user's)")
set(BERTH_OWNER "" CACHE STRING
    "The project the apps belong to in the store (empty: the top-level project's name)")
set(BERTH_NAMESPACE "" CACHE STRING
    "The namespace of this project's apps in the store (empty: none)")
set(BERTH_LOCKFILE "${CMAKE_SOURCE_DIR}/berth.lock.json" CACHE FILEPATH
    "berth lock file (the default is used when it exists)")
option(BERTH_LOCKED "Take every app from the lock file; allocate nothing" OFF)
option(BERTH_RELOCK "Move the locked apps whose ports others hold on this host; rewrite the lock" OFF)
option(BERTH_PRUNE "Release the apps this build tree no longer declares; remove berth's files there" OFF)
option(BERTH_QUIET "Do not print berth's summary at configure" OFF)
option(BERTH_VERBOSE "Print berth's table of every app at configure, however many" OFF)

# Every app is reserved at the end of the top-level folder's configure, by one berth process.
# (The top-level folder is still being processed wherever this module is included.)
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" ID _berth_generate CALL _berth_generate)

# The separators of the recorded calls (berth plan --calls reads them): a record per call, its
# fields apart. Cache variables, so that add_generated_app sees them in every folder (the module
# may be included in a subfolder, berth's own, and used above it).
string(ASCII 30 _berth_separator)
set(_BERTH_RS "${_berth_separator}" CACHE INTERNAL "berth: between recorded calls")
string(ASCII 31 _berth_separator)
set(_BERTH_US "${_berth_separator}" CACHE INTERNAL "berth: between a recorded call's fields")
unset(_berth_separator)

# add_generated_app records the call as it was made, nothing more: where (the file, for its
# line; the current source and binary folders, for relative paths) and its arguments. The
# deferred _berth_generate hands them all to one `berth plan`, which checks the arguments,
# reserves the apps, checks duplicates and writes the CMake code that creates every app's
# command and target. CMake-language work per app is what makes configure slow at thousands of
# apps. ${ARGV} is the arguments as a CMake list; when it does not split back into them (an
# argument holds a ';'), each goes in a field of its own.
function(add_generated_app)
  list(LENGTH ARGV count)
  if(count EQUAL ARGC)
    set_property(GLOBAL APPEND_STRING PROPERTY _BERTH_CALLS "${CMAKE_CURRENT_LIST_FILE}${_BERTH_US}${CMAKE_CURRENT_SOURCE_DIR}${_BERTH_US}${CMAKE_CURRENT_BINARY_DIR}${_BERTH_US}${ARGC}${_BERTH_US}${ARGV}${_BERTH_RS}")
    return()
  endif()
  set(args "")
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE ${last})
    string(APPEND args "${_BERTH_US}${ARGV${i}}")
  endforeach()
  set_property(GLOBAL APPEND_STRING PROPERTY _BERTH_CALLS "${CMAKE_CURRENT_LIST_FILE}${_BERTH_US}${CMAKE_CURRENT_SOURCE_DIR}${_BERTH_US}${CMAKE_CURRENT_BINARY_DIR}${_BERTH_US}=${ARGC}${args}${_BERTH_RS}")
endfunction()

# The store this build tree uses, fixed at its first configure and kept in the cache as an
# absolute path, so that builds and later configures use it whatever the environment says then:
# BERTH_STORE, else $BERTH_STORE, else the default store as `berth` resolves it: the host store
# when one exists ($BERTH_HOST_STORE, else /var/lib/berth), else $XDG_STATE_HOME/berth, else
# ~/.local/state/berth. Setting -DBERTH_STORE moves the tree to another store; a $BERTH_STORE
# that names another store than the tree's is refused.
function(_berth_store_folder out)
  set(from "")
  if(BERTH_STORE)
    get_filename_component(wanted "${BERTH_STORE}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
    set(from "BERTH_STORE")
  elseif(DEFINED ENV{BERTH_STORE})
    if("$ENV{BERTH_STORE}" STREQUAL "")
      message(FATAL_ERROR "add_generated_app: $BERTH_STORE is set but empty; give it the store "
                          "folder, or unset it. Nothing was reserved.")
    endif()
    get_filename_component(wanted "$ENV{BERTH_STORE}" ABSOLUTE)
    set(from "$BERTH_STORE")
  elseif(DEFINED ENV{BERTH_HOST_STORE} AND EXISTS "$ENV{BERTH_HOST_STORE}/data.mdb")
    get_filename_component(wanted "$ENV{BERTH_HOST_STORE}" ABSOLUTE)
  elseif(NOT DEFINED ENV{BERTH_HOST_STORE} AND EXISTS "/var/lib/berth/data.mdb")
    set(wanted "/var/lib/berth")
  elseif(NOT "$ENV{XDG_STATE_HOME}" STREQUAL "")
    set(wanted "$ENV{XDG_STATE_HOME}/berth")
  elseif(NOT "$ENV{HOME}" STREQUAL "")
    set(wanted "$ENV{HOME}/.local/state/berth")
  else()
    message(FATAL_ERROR "add_generated_app: no store folder: set BERTH_STORE, $BERTH_STORE, "
                        "$XDG_STATE_HOME or $HOME. Nothing was reserved.")
  endif()
  if(_BERTH_STORE_USED AND NOT wanted STREQUAL _BERTH_STORE_USED)
    if(from STREQUAL "")
      set(wanted "${_BERTH_STORE_USED}")  # the environment changed: the tree keeps its store
    elseif(from STREQUAL "$BERTH_STORE")
      message(FATAL_ERROR "add_generated_app: this build tree uses the store "
                          "'${_BERTH_STORE_USED}' (fixed at its first configure), but "
                          "$BERTH_STORE names '${wanted}'. Unset $BERTH_STORE to keep the tree on "
                          "its store, or move the tree: cmake -DBERTH_STORE=${wanted} "
                          "${CMAKE_BINARY_DIR}. Nothing was reserved.")
    else()
      message(STATUS "berth: this build tree now uses the store '${wanted}' (it used "
                     "'${_BERTH_STORE_USED}')")
    endif()
  endif()
  set(_BERTH_STORE_USED "${wanted}" CACHE INTERNAL "The store this build tree uses")
  set(${out} "${wanted}" PARENT_SCOPE)
endfunction()

# The targets of every folder of the project so far, imported ones too (CMake 3.21 and newer).
function(_berth_project_targets out)
  set(taken "")
  set(dirs "${CMAKE_SOURCE_DIR}")
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(made DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    list(APPEND taken ${made})
    if(NOT CMAKE_VERSION VERSION_LESS 3.21)
      get_property(made DIRECTORY "${dir}" PROPERTY IMPORTED_TARGETS)
      list(APPEND taken ${made})
    endif()
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
  endwhile()
  set(${out} "${taken}" PARENT_SCOPE)
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

# The end of configure: one berth process reserves every app and writes the CMake code that
# creates their commands and targets, which is included here.
function(_berth_generate)
  get_property(calls GLOBAL PROPERTY _BERTH_CALLS)
  if("${calls}" STREQUAL "")
    return()  # the module was included, but no app declared
  endif()
  set(dir "${CMAKE_BINARY_DIR}/berth")
  _berth_write_if_changed("${dir}/calls" "${calls}")

  if(NOT BERTH_EXECUTABLE)
    message(FATAL_ERROR "add_generated_app: no berth program: use find_package(Berth), "
                        "add_subdirectory() of berth, or set BERTH_EXECUTABLE")
  endif()
  # The project's targets: an app's target may not take one (refused before anything is
  # reserved).
  _berth_project_targets(targets)
  string(REPLACE ";" "\n" targets "${targets}")
  _berth_write_if_changed("${dir}/targets" "${targets}")

  _berth_store_folder(store)
  set(store_args --store "${store}")
  # Apps belong to a project: another project's app is refused, an unowned one adopted.
  set(owner "${BERTH_OWNER}")
  if(owner STREQUAL "")
    set(owner "${CMAKE_PROJECT_NAME}")
  endif()
  if(NOT BERTH_NAMESPACE STREQUAL "")
    list(APPEND store_args --namespace "${BERTH_NAMESPACE}")
  endif()
  set(lock_args "")
  if(BERTH_LOCKED)
    set(lock_args --lock "${BERTH_LOCKFILE}" --locked)
  elseif(EXISTS "${BERTH_LOCKFILE}" OR NOT "${BERTH_LOCKFILE}" STREQUAL "${CMAKE_SOURCE_DIR}/berth.lock.json")
    set(lock_args --lock "${BERTH_LOCKFILE}")
  endif()
  if(BERTH_RELOCK)
    list(APPEND lock_args --relock)
  endif()
  # Makefile generators pay a recursive make and two cmake processes for every target in `all`:
  # there, one target builds every app, and each app's own target stays out of `all`.
  set(all_target_args "")
  if(NOT CMAKE_GENERATOR MATCHES "Ninja")
    set(all_target_args --all-target berth_apps)
    if(TARGET berth_apps)
      set(all_target_args --all-target berth_all_apps)
    endif()
  endif()
  set(table_args --table-limit 20)
  if(BERTH_VERBOSE)  # the summary line, then every app
    set(table_args --table-limit 2000000000)
  endif()
  execute_process(
    COMMAND "${BERTH_EXECUTABLE}" ${store_args} plan "${dir}/calls" --calls
            --taken-targets "${dir}/targets" ${lock_args}
            --owner "${owner}"
            --source-dir "${CMAKE_SOURCE_DIR}" --binary-dir "${CMAKE_BINARY_DIR}"
            --cmake "${dir}/plan.cmake" --summary "${dir}/apps.json" --stamps "${dir}/apps"
            ${all_target_args} ${table_args}
    RESULT_VARIABLE rc OUTPUT_VARIABLE table ERROR_VARIABLE err)
  if(NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "add_generated_app: cannot run berth ('${BERTH_EXECUTABLE}'): ${rc}. "
                        "Set BERTH_EXECUTABLE to the berth program.")
  elseif(NOT rc EQUAL 0)
    string(STRIP "${err}" err)
    message(FATAL_ERROR "add_generated_app: berth refused this project's apps.\n${err}")
  endif()
  if(BERTH_PRUNE)
    # A one-shot action: release the apps this tree dropped and remove berth's files there.
    execute_process(
      COMMAND "${BERTH_EXECUTABLE}" ${store_args} prune --build "${CMAKE_BINARY_DIR}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE pruned ERROR_VARIABLE err)
    set(BERTH_PRUNE OFF CACHE BOOL
        "Release the apps this build tree no longer declares; remove berth's files there" FORCE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "add_generated_app: BERTH_PRUNE failed: ${err}")
    endif()
    message(STATUS "berth: BERTH_PRUNE ran once and is OFF again\n${pruned}")
  endif()
  if(BERTH_RELOCK)
    # A one-shot action: later (automatic) configures must not relock again.
    set(BERTH_RELOCK OFF CACHE BOOL
        "Move the locked apps whose ports others hold on this host; rewrite the lock" FORCE)
    message(STATUS "berth: BERTH_RELOCK ran once and is OFF again")
  endif()

  # plan.cmake: one custom command, target and property set per app, written by berth plan.
  # The command line holds only paths; the model, ports and variables travel in the app's
  # stamp. Its DEPFILE (written by berth build-app) names the template and overlay files, with
  # the output relative to the top build folder as Ninja expects (policy CMP0116 OLD).
  set(_berth_command "${BERTH_EXECUTABLE}" ${store_args})
  set(_berth_program_dep "")
  if(IS_ABSOLUTE "${BERTH_EXECUTABLE}")
    set(_berth_program_dep "${BERTH_EXECUTABLE}")
  endif()
  cmake_policy(PUSH)
  cmake_policy(SET CMP0116 OLD)
  include("${dir}/plan.cmake")
  cmake_policy(POP)

  if(NOT BERTH_QUIET)
    string(REGEX REPLACE "\n$" "" table "${table}")
    string(REPLACE "\n" ";" rows "${table}")
    foreach(row IN LISTS rows)
      message(STATUS "${row}")
    endforeach()
  endif()
endfunction()
